import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startServerProcess } from '../helpers/server-process.js'
import { openBrowser, screenshot } from './browser.js'
import { signIn, writePageWorkflow } from './page-fixture.js'

t.test('the step timeline: a bar per attempt coloured by status, the retry, the review pause, the running step growing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-web-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const env = writePageWorkflow(dir)
  const server = await startServerProcess(t, dir, env)
  const created = await server.api<{ id: number }>('POST', '/api/tasks', { workflow_name: 'page_flow', task_name: 'timeline', start: true })
  const id = created.body.id
  await server.waitForStatus(id, ['paused'])

  const page = await (await openBrowser(t)).newPage()
  await signIn(page, server.base)
  await page.goto(`${server.base}/#/tasks/${id}`)
  const timeline = page.getByTestId('timeline')
  const lane = (step: string) => timeline.locator(`[data-step="${step}"]`)
  await lane('colours').locator('rect[data-attempt="1"][data-status="success"]').waitFor()
  await timeline.locator('[data-pause="review"]').waitFor()
  t.equal(await lane('colours').locator('.tl-label').textContent(), '1 Colours')
  await screenshot(page, 'timeline-review')

  await page.locator('.task-header').getByRole('button', { name: 'Resume' }).click()
  const running = lane('slow').locator('rect[data-attempt="1"][data-status="running"]')
  await running.waitFor()
  // the failed first attempt and its retry on one lane, the retry numbered
  t.equal(await lane('flaky').locator('rect[data-status="failed"][data-attempt="1"]').count(), 1)
  t.equal(await lane('flaky').locator('rect[data-status="success"][data-attempt="2"]').count(), 1)
  t.equal(await lane('flaky').locator('.tl-attempt').textContent(), '↻2')
  t.equal(await lane('flaky').locator('.tl-retry').count(), 1, 'a line joins the retry to the attempt it repeats')
  t.match(await lane('flaky').locator('rect[data-status="failed"] title').textContent(), /^2 Flaky, attempt 1: failed, /)

  // The running bar grows while the step runs (bounded: the page redraws every second).
  const before = await running.evaluate((bar) => Number(bar.getAttribute('width')) / (bar as SVGRectElement).ownerSVGElement!.width.baseVal.value)
  await page.waitForFunction((first) => {
    const bar = document.querySelector<SVGRectElement>('[data-step="slow"] rect[data-status="running"]')
    return bar !== null && Number(bar.getAttribute('width')) / bar.ownerSVGElement!.width.baseVal.value > first + 0.01
  }, before, { timeout: 20_000 })
  await screenshot(page, 'timeline-running')

  writeFileSync(join(env.TOPUP_VAR_WORK, `${id}.go`), '')
  await lane('slow').locator('rect[data-status="success"]').waitFor()
  await page.locator('.task-header [data-status="success"]').waitFor()
  t.equal(await timeline.locator('rect[data-status="running"]').count(), 0)
  await screenshot(page, 'timeline-done')
})
