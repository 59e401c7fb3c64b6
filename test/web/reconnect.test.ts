import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { signToken } from '../../src/auth/token.js'
import { SECRET, startServerProcess } from '../helpers/server-process.js'
import { openBrowser, screenshot } from './browser.js'

t.test('a server restart under the open page: offline banner, then the log goes on with no gap and no duplicate', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-web-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const env = { TOPUP_VAR_WORK_DIR: join(dir, 'work'), DEMO_STEP_SECONDS: '0.2' }
  const before = await startServerProcess(t, dir, env)
  const created = await before.api<{ id: number }>('POST', '/api/tasks', {
    workflow_name: 'demo_topup_first_stage', task_name: 'demo restart', parameters: { date_param: '250626', runs: 2 }, start: true,
  })
  const id = created.body.id
  await before.waitForStatus(id, ['paused'], 60_000)

  const page = await (await openBrowser(t)).newPage()
  await page.goto(`${before.base}/#token=${signToken(SECRET, { userId: 'alice', role: 'user' }, 3600)}`)
  await page.goto(`${before.base}/#/tasks/${id}`)
  const header = page.locator('.task-header')
  await header.locator('[data-status="paused"]').waitFor()

  before.child.kill('SIGTERM')
  await before.exited
  await page.getByTestId('offline').waitFor()
  await screenshot(page, 'offline')
  // The same data and the same port; `before.api` reaches it there (`after.base` names the port it was offered).
  await startServerProcess(t, dir, { ...env, PORT: new URL(before.base).port })
  await page.getByTestId('offline').waitFor({ state: 'detached' })

  await header.getByRole('button', { name: 'Resume' }).click()
  await header.locator('[data-status="success"]').waitFor()
  await before.waitForStatus(id, ['success'])
  const logs = await before.api<{ total: number; items: { seq: number }[] }>('GET', `/api/tasks/${id}/logs?limit=1000`)
  await page.locator(`[data-testid="log"][data-last-seq="${logs.body.items.at(-1)!.seq}"]`).waitFor()
  t.equal(await page.getByTestId('log').getAttribute('data-lines'), String(logs.body.total),
    'every line of the task once: those before the restart and those after')
})
