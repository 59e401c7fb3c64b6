import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { signToken } from '../../src/auth/token.js'
import { SECRET, startServerProcess, type ServerProcess } from '../helpers/server-process.js'
import { countDownloads, openBrowser, screenshot } from './browser.js'

/** `npm run token -- --user alice --link`, run as the README shows, against the test server's address. */
function signInLink(server: ServerProcess, user: string): string {
  const { hostname, port } = new URL(server.base)
  return execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'token', '--user', user, '--link'], {
    env: { ...process.env, SECRET_KEY: SECRET, HOST: hostname, PORT: port }, encoding: 'utf8',
  }).trim()
}

const demoTask = (name: string, date: string) => ({
  workflow_name: 'demo_topup_first_stage', task_name: name, parameters: { date_param: date, runs: 2 }, start: true,
})

t.test('the page: sign in by link, the live list, a task live to its review, resume, cancel', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-web-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startServerProcess(t, dir, { TOPUP_VAR_WORK_DIR: join(dir, 'work'), DEMO_STEP_SECONDS: '0.2' })
  const context = await openBrowser(t)
  const page = await context.newPage()
  const downloads = countDownloads(page)

  const link = signInLink(server, 'alice')
  t.match(link, new RegExp(`^${server.base}/#token=`))
  await page.goto(link)
  await page.getByTestId('who').getByText('Signed in as alice').waitFor()
  t.match(await page.getByTestId('who').innerText(), /expires in (23|24) hours/)
  t.equal(new URL(page.url()).hash, '#/', 'the token is gone from the address bar')
  await page.getByText('No task matches.').waitFor()
  const pageBytes = await downloads.bytes()
  t.ok(downloads.urls.every((url) => url.startsWith(server.base)), 'nothing is loaded from elsewhere')
  const apiBytes = await downloads.bytes((url) => new URL(url).pathname.startsWith('/api/'))
  t.comment(`the list page downloads ${pageBytes} bytes (headers included) in ${downloads.urls.length} responses: `
    + `${pageBytes - apiBytes} of the page's files, ${apiBytes} of API answers`)

  // The list updates live: a task created through the API appears and moves on without a reload.
  const first = await server.api<{ id: number }>('POST', '/api/tasks', demoTask('demo first', '250624'))
  const row = page.locator(`tr[data-task-id="${first.body.id}"]`)
  await row.getByText('demo first').waitFor()
  await row.locator('[data-status="paused"]').waitFor()
  await row.getByText('waiting for review').waitFor()
  await screenshot(page, 'task-list')

  // The task: live log to the review pause, every line once and in order.
  await row.getByRole('link', { name: 'demo first' }).click()
  const header = page.locator('.task-header')
  await header.locator('[data-status="paused"]').waitFor()
  await page.getByTestId('reason').getByText('waiting for review').waitFor()
  await page.getByTestId('jobs').getByText('2/2 done').waitFor()
  await page.getByTestId('artifacts').getByText('mergedd_IST.pdf').waitFor()
  const logs = await server.api<{ total: number; items: { seq: number }[] }>('GET', `/api/tasks/${first.body.id}/logs?limit=1000`)
  const log = page.getByTestId('log')
  await page.locator(`[data-testid="log"][data-last-seq="${logs.body.items.at(-1)!.seq}"]`).waitFor()
  t.equal(await log.getAttribute('data-lines'), String(logs.body.total), 'as many lines as the API has: none twice')
  const shown = (await log.locator('[data-seq]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq')))))
  t.ok(shown.length > 0 && shown.every((seq, i) => i === 0 || seq > shown[i - 1]!), 'the rows in view are in seq order')
  t.ok(shown.length < logs.body.total || logs.body.total < 60, 'only a window of rows is in the page')
  await screenshot(page, 'task-page')

  // Resume from the button: the task runs on to success, seen live.
  await header.getByRole('button', { name: 'Resume' }).click()
  await header.locator('[data-status="success"]').waitFor()
  await header.getByText('100%').waitFor()
  t.match(await server.waitForStatus(first.body.id, ['success']), { status: 'success' })
  await page.getByTestId('task-history').getByText('resumed by alice').waitFor()
  t.match(await page.getByTestId('task-history').innerText(), /^created by alice · started by alice · resumed by alice/,
    'the header says who did what')
  await screenshot(page, 'task-success')

  // A second task, cancelled from the button after the confirmation.
  const second = await server.api<{ id: number }>('POST', '/api/tasks', demoTask('demo second', '250625'))
  await page.goto(`${server.base}/#/tasks/${second.body.id}`)
  await header.getByText('demo second').waitFor()
  await header.getByRole('button', { name: 'Cancel task' }).click()
  await header.getByRole('alertdialog').waitFor()
  await page.getByTestId('confirm-cancel').click()
  await header.locator('[data-status="cancelled"]').waitFor()
  t.match(await server.waitForStatus(second.body.id, ['cancelled']), { status: 'cancelled' })
  await page.getByTestId('task-history').getByText('cancelled by alice').waitFor()

  // Chinese, switched and remembered across a reload.
  await page.getByTestId('language').selectOption('zh')
  await page.getByText('当前用户 alice').waitFor()
  await page.reload()
  await header.locator('[data-status="cancelled"]').getByText('已取消').waitFor()
  await screenshot(page, 'task-page-zh')
})

t.test('a refused token asks for a new link', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-web-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startServerProcess(t, dir, { TOPUP_VAR_WORK_DIR: join(dir, 'work') })
  const context = await openBrowser(t)
  const page = await context.newPage()
  const forged = signToken('not-the-server-secret-0123456789abcdef', { userId: 'mallory', role: 'admin' }, 3600)
  await page.goto(`${server.base}/#token=${forged}`)
  await page.getByTestId('signin-expired').waitFor()
  t.match(await page.locator('main').innerText(), /--link/)
  await screenshot(page, 'sign-in-refused')
})
