import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { signToken } from '../../src/auth/token.js'
import { SECRET, startServerProcess } from '../helpers/server-process.js'
import { openBrowser, screenshot } from './browser.js'
import { signIn, writePageWorkflow } from './page-fixture.js'

t.test('the wall: today\'s tasks of everyone the viewer may see, large, live, with nothing to click', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-web-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const env = writePageWorkflow(dir)
  const server = await startServerProcess(t, dir, env)
  const admin = signToken(SECRET, { userId: 'root', role: 'admin' }, 3600)
  const create = async (user: string, name: string, start: boolean) => {
    const res = await fetch(`${server.base}/api/tasks`, {
      method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ workflow_name: 'page_flow', task_name: name, user_id: user, start }),
    })
    return (await res.json() as { id: number }).id
  }
  const alices = await create('alice', 'alice at review', true)
  const bobs = await create('bob', 'bob waiting to start', false)
  await server.waitForStatus(alices, ['paused'])

  const page = await (await openBrowser(t)).newPage()
  await signIn(page, server.base, 'root', 'admin')
  await page.goto(`${server.base}/#/wall`)
  const card = (id: number) => page.locator(`.wall-card[data-task-id="${id}"]`)
  await card(alices).getByText('waiting for review: the colours').waitFor()
  await card(bobs).locator('[data-status="pending"]').waitFor()
  t.equal(await page.getByTestId('who').count(), 0, 'no top bar: nothing to click on a wall screen')
  t.equal(await page.locator('.wall button, .wall input, .wall select').count(), 0, 'no control at all')
  const titleSize = await card(alices).locator('h2').evaluate((e) => parseFloat(getComputedStyle(e).fontSize))
  t.ok(titleSize >= 30, `large type (${titleSize}px)`)
  t.equal(await page.locator('[data-count="paused"]').innerText(), 'paused 1')
  await screenshot(page, 'wall')

  // Live: the review approved elsewhere, the card moves on without a reload; a new task appears.
  await fetch(`${server.base}/api/tasks/${alices}/resume`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } })
  await card(alices).locator('[data-status="running"]').waitFor()
  await card(alices).getByText('slow').waitFor()
  const later = await create('bob', 'bob later', true)
  await card(later).waitFor()
  writeFileSync(join(env.TOPUP_VAR_WORK, `${alices}.go`), '')
  await card(alices).locator('[data-status="success"]').waitFor()

  // Alice sees her own tasks only.
  const own = await (await openBrowser(t)).newPage()
  await signIn(own, server.base, 'alice')
  await own.goto(`${server.base}/#/wall`)
  await own.locator(`.wall-card[data-task-id="${alices}"]`).waitFor()
  t.equal(await own.locator('.wall-card').count(), 1, 'bob\'s tasks are not on alice\'s wall')
})
