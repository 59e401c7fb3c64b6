import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { signToken } from '../../src/auth/token.js'
import { SECRET, startServerProcess } from '../helpers/server-process.js'
import type { Page } from 'playwright-core'
import { openBrowser, screenshot } from './browser.js'

/** Chromium's PDF viewer (its own frame, in open shadow roots) names the document once it has loaded it. */
async function pdfViewerShows(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const viewer = page.frames().find((f) => f.url().startsWith('chrome-extension://'))
    if (viewer && await viewer.getByText(name, { exact: true }).count() > 0) return
    await page.waitForTimeout(50)
  }
  throw new Error(`the PDF viewer never showed ${name}`)
}

t.test('the review: a task created from the form, its PDF in the page, re-run from a step, approved; pause and cancel', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-web-review-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // Each simulated job takes three steps of a second, so a running task can be paused from its button.
  const server = await startServerProcess(t, dir, { TOPUP_VAR_WORK_DIR: join(dir, 'work'), DEMO_STEP_SECONDS: '1' })
  const context = await openBrowser(t)
  const page = await context.newPage()
  await page.goto(`${server.base}/#token=${signToken(SECRET, { userId: 'alice', role: 'user' }, 3600)}`)
  await page.getByText('No task matches.').waitFor()

  // A new task from the form: a bad parameter is refused in the server's words, beside its field.
  await page.getByTestId('new-task').click()
  const form = page.getByTestId('task-form')
  await page.getByTestId('form-workflow').selectOption('demo_topup_first_stage')
  await page.getByTestId('param-date_param').fill('2025-06-24')
  await page.getByTestId('param-runs').fill('1')
  await page.getByTestId('param-max_wait_minutes').fill('31')
  await page.getByTestId('param-max_wait_minutes-error').getByText('must be <= 30').waitFor()
  await form.getByRole('button', { name: 'Create and start' }).click()
  await page.getByTestId('param-max_wait_minutes-error').getByText('must be <= 30').waitFor()
  t.equal(await page.getByTestId('param-max_wait_minutes').getAttribute('aria-invalid'), 'true')
  t.match(page.url(), /#\/new/, 'the refused task was not created')
  t.equal((await server.api<{ total: number }>('GET', '/api/tasks')).body.total, 0)
  await page.getByTestId('param-max_wait_minutes').fill('5')
  await page.locator('[data-testid="task-form"][data-validated="true"]').waitFor()
  await form.getByRole('button', { name: 'Create and start' }).click()
  await page.waitForURL(/#\/tasks\/\d+$/)
  const id = Number(/#\/tasks\/(\d+)$/.exec(page.url())![1])
  t.match((await server.api('GET', `/api/tasks/${id}`)).body,
    { workflow_name: 'demo_topup_first_stage', parameters: { date_param: '250624', runs: 1, max_wait_minutes: 5, check_ist: true } })

  // Live to the review pause: the stage's PDF is in the page, through a signed link (no token sent).
  const pdfResponse = page.waitForResponse((r) => r.url().includes('/api/artifacts/') && r.frame() !== page.mainFrame())
  const review = page.getByTestId('review')
  await review.getByText('Waiting for your review').waitFor({ timeout: 60_000 })
  const pdf = await pdfResponse
  t.equal(pdf.status(), 200)
  t.match(pdf.url(), /\/api\/artifacts\/\d+\?user=alice&exp=\d+&sig=/)
  const headers = await pdf.allHeaders()
  t.equal(headers['content-type'], 'application/pdf')
  t.match(headers['content-disposition'], /^inline; filename="mergedd_IST\.pdf"/)
  t.notOk('authorization' in await pdf.request().allHeaders(), 'the file is fetched without the token')
  const viewer = review.getByTestId('review-pdf')
  t.match(await viewer.getAttribute('title'), /mergedd_IST\.pdf/)
  await pdfViewerShows(page, 'mergedd_IST.pdf')
  await screenshot(page, 'review')

  // "Re-run from …": the dialog has the task's parameters and the stage's first step; a bad value is named.
  await review.getByTestId('review-rerun').click()
  const dialog = page.getByTestId('resume-dialog')
  await dialog.waitFor()
  t.equal(await dialog.getByTestId('retry-from').inputValue(), 'submit', 'the stage under review starts at submit')
  t.equal(await dialog.getByTestId('param-runs').inputValue(), '1', 'pre-filled from the task')
  t.equal(await dialog.getByTestId('param-date_param').inputValue(), '2025-06-24')
  await dialog.getByTestId('param-runs').fill('21')
  await dialog.getByTestId('param-runs-error').getByText('must be <= 20').waitFor()
  await screenshot(page, 'resume-dialog')
  await dialog.getByTestId('param-runs').fill('2')
  await dialog.getByTestId('param-runs-error').waitFor({ state: 'detached' })
  await dialog.getByTestId('retry-from').selectOption('merge')
  await dialog.getByRole('button', { name: 'Re-run from merge' }).click()
  await dialog.waitFor({ state: 'detached' })
  const rerun = await server.waitForStatus(id, ['paused'], 60_000).then(async () => {
    const logs = await server.api<{ items: { message: string }[] }>('GET', `/api/tasks/${id}/logs?limit=1000`)
    return logs.body.items.map((l) => l.message)
  })
  t.ok(rerun.some((m) => /runs.*1.*→.*2/.test(m)), 'the changed parameter is in the log, old → new')
  t.ok(rerun.some((m) => /resumed by alice/.test(m)), 'the log says who resumed')
  const attempts = (await server.api<{ items: { step_name: string }[] }>('GET', `/api/tasks/${id}/executions`)).body.items
  t.equal(attempts.filter((e) => e.step_name === 'submit').length, 1, 'the re-run went on from merge: submit ran once')
  t.equal(attempts.filter((e) => e.step_name === 'merge').length, 2, 'and merge twice')

  // Paused for review again: "looks good — resume" runs the task to its end.
  await review.getByTestId('review-approve').click()
  await page.locator('.task-header [data-status="success"]').waitFor({ timeout: 60_000 })
  await review.waitFor({ state: 'detached' })

  // After the review, the files panel still shows a PDF in the page on request (the re-run fetched it again).
  const files = page.getByTestId('artifacts')
  await files.getByText('mergedd_IST (2).pdf').waitFor()
  await files.getByRole('button', { name: 'show here' }).last().click()
  t.match(await files.getByTestId('artifact-view').getAttribute('src'), /^api\/artifacts\/\d+\?user=alice&exp=\d+&sig=/, 'a relative signed address')
  await pdfViewerShows(page, 'mergedd_IST (2).pdf')
  await files.getByRole('button', { name: 'hide' }).click()
  await files.getByTestId('artifact-view').waitFor({ state: 'detached' })

  // A second task: paused from its button while it runs, resumed, then cancelled from the review.
  const second = await server.api<{ id: number }>('POST', '/api/tasks', {
    workflow_name: 'demo_topup_first_stage', task_name: 'demo second', parameters: { date_param: '250625', runs: 1 }, start: true,
  })
  await page.goto(`${server.base}/#/tasks/${second.body.id}`)
  const header = page.locator('.task-header')
  await header.locator('[data-status="running"]').waitFor()
  await header.getByRole('button', { name: 'Pause' }).click()
  await header.locator('[data-status="paused"]').waitFor({ timeout: 60_000 })
  t.notMatch(String((await server.api('GET', `/api/tasks/${second.body.id}`)).body.status_reason), /waiting for review/)
  t.equal(await review.count(), 0, 'a pause by a person is not a review')
  await header.getByRole('button', { name: 'Resume', exact: true }).click()
  await review.getByText('Waiting for your review').waitFor({ timeout: 60_000 })
  await page.getByTestId('language').selectOption('zh')
  await review.getByText('等待您的检查').waitFor()
  await review.getByRole('button', { name: '没问题 — 继续' }).waitFor()
  await pdfViewerShows(page, 'mergedd_IST.pdf')
  await screenshot(page, 'review-zh')
  await review.getByRole('button', { name: '取消任务' }).click()
  await review.getByTestId('confirm-cancel').click()
  await header.locator('[data-status="cancelled"]').waitFor({ timeout: 60_000 })
  t.match(await server.waitForStatus(second.body.id, ['cancelled']), { status: 'cancelled' })
})
