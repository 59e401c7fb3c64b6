import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { signToken } from '../../src/auth/token.js'
import { SECRET, startServerProcess } from '../helpers/server-process.js'
import { openBrowser, screenshot } from './browser.js'

t.test('the new-task form is generated from the parameters; the list filters by day, creation date and user', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-web-form-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startServerProcess(t, dir, { TOPUP_VAR_WORK_DIR: join(dir, 'work') })
  const context = await openBrowser(t)
  const page = await context.newPage()
  const signIn = (user: string, role: 'user' | 'admin') => page.goto(`${server.base}/#token=${signToken(SECRET, { userId: user, role }, 3600)}`)
  await signIn('alice', 'user')
  await page.getByText('No task matches.').waitFor()

  // The inputs follow the parameters: a select for an enum, a text with its rule's help, a checkbox for a boolean.
  await page.getByTestId('new-task').click()
  await page.getByTestId('form-workflow').selectOption('topup_available_dates')
  const order = page.getByTestId('param-sort_order')
  t.equal(await order.evaluate((el) => el.tagName), 'SELECT')
  t.same(await order.locator('option').allInnerTexts(), ['asc', 'desc'])
  t.equal(await order.inputValue(), 'asc', 'the default is chosen')
  t.equal(await page.getByTestId('param-include_processed').getAttribute('type'), 'checkbox')
  t.ok(await page.getByTestId('param-include_processed').isChecked())
  await page.locator('.field').filter({ hasText: 'data-taking round, e.g. round18' }).waitFor()
  await page.getByTestId('param-round').fill('run18')
  await page.getByTestId('param-round-error').getByText('must match ^round[0-9]+$').waitFor()

  // The demo: a date picker for the yymmdd day, min/max on the integers, each description as help.
  await page.getByTestId('form-workflow').selectOption('demo_topup_first_stage')
  const day = page.getByTestId('param-date_param')
  t.equal(await day.getAttribute('type'), 'date')
  t.equal(await day.inputValue(), '2025-06-24', 'the default day, 250624')
  const runs = page.getByTestId('param-runs')
  t.same([await runs.getAttribute('type'), await runs.getAttribute('min'), await runs.getAttribute('max')], ['number', '1', '20'])
  t.match(await page.locator('#param-runs-help').innerText(), /how many runs the simulated genJob\.sh submits · from 1 to 20/)
  t.equal(await runs.getAttribute('aria-describedby'), 'param-runs-help')
  await day.fill('2025-07-02')
  await runs.fill('0')
  await page.getByTestId('param-runs-error').getByText('must be >= 1').waitFor()
  t.equal(await runs.getAttribute('aria-describedby'), 'param-runs-help param-runs-error', 'the message is tied to its field')
  await runs.fill('3')
  await page.locator('[data-testid="task-form"][data-validated="true"]').waitFor()
  await page.getByLabel('Start now').uncheck()
  await page.getByLabel('Task name').fill('from the form')
  await screenshot(page, 'task-form')
  await page.getByRole('button', { name: 'Create task', exact: true }).click()
  await page.waitForURL(/#\/tasks\/\d+$/)
  const first = Number(/(\d+)$/.exec(page.url())![1])
  t.match((await server.api('GET', `/api/tasks/${first}`)).body,
    { task_name: 'from the form', status: 'pending', date_param: '250702', parameters: { runs: 3 } }, 'created, not started')
  const header = page.locator('.task-header')
  await header.locator('[data-status="pending"]').waitFor()
  await header.getByRole('button', { name: 'Start', exact: true }).click()
  await header.locator('[data-status="pending"]').waitFor({ state: 'detached' })
  t.not((await server.api('GET', `/api/tasks/${first}`)).body.status, 'pending', 'started from its button')

  // The same day again while that task is unfinished: the server's refusal, with a link to the other task.
  await page.goto(`${server.base}/#/new?workflow=demo_topup_first_stage&date_param=250702`)
  t.equal(await page.getByTestId('param-date_param').inputValue(), '2025-07-02', 'the address presets the day')
  await page.locator('[data-testid="task-form"][data-validated="true"]').waitFor()
  await page.getByTestId('form-submit').click()
  const refusal = page.getByTestId('form-error')
  await refusal.getByText(/is \w+: cancel it, or wait until it ends/).waitFor()
  t.equal(await refusal.getByRole('link').getAttribute('href'), `#/tasks/${first}`)

  // The list's filters: the day of data and the creation date; no user filter for a user.
  await server.api('POST', '/api/tasks', { workflow_name: 'demo_topup_first_stage', task_name: 'another day', parameters: { date_param: '250703' } })
  await page.goto(`${server.base}/#/`)
  await page.getByText('tasks shown: 2').waitFor()
  t.equal(await page.getByTestId('filter-user').count(), 0, 'a user sees only their own tasks: no user filter')
  await page.getByTestId('filter-day').fill('2025-07-03')
  await page.getByText('tasks shown: 1').waitFor()
  await page.locator('tr[data-task-id]').getByText('another day').waitFor()
  await page.getByTestId('filter-day').fill('')
  await page.getByText('tasks shown: 2').waitFor()
  const today = await page.evaluate(() => { const d = new Date(); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}` })
  await page.getByTestId('filter-created').fill(today)
  await page.getByText('tasks shown: 2').waitFor()
  await page.getByTestId('filter-created').fill('2025-01-01')
  await page.getByText('No task matches.').waitFor()
  await screenshot(page, 'task-list-filters')
  await page.getByRole('button', { name: 'Clear filters' }).click()
  await page.getByText('tasks shown: 2').waitFor()

  // An admin (a new link opened in the same tab) sees everyone's tasks and filters by user, in Chinese.
  const asBob = await fetch(`${server.base}/api/tasks`, {
    method: 'POST', body: JSON.stringify({ workflow_name: 'topup_available_dates', task_name: 'bob dates' }),
    headers: { authorization: `Bearer ${signToken(SECRET, { userId: 'bob', role: 'user' }, 3600)}`, 'content-type': 'application/json' },
  })
  t.equal(asBob.status, 201)
  await signIn('root', 'admin')
  await page.getByText('Signed in as root (admin)').waitFor()
  await page.getByTestId('language').selectOption('zh')
  await page.getByText('共 3 个任务').waitFor()
  await page.getByTestId('filter-user').fill('bob')
  await page.getByTestId('filter-user').press('Enter')
  await page.getByText('共 1 个任务').waitFor()
  await page.locator('tr[data-task-id]').getByText('bob dates').waitFor()
  await page.getByTestId('filter-user').fill('alice')
  await page.getByTestId('filter-user').press('Enter')
  await page.getByText('共 2 个任务').waitFor()
  await page.getByTestId('new-task').click()
  await page.getByText('新建任务', { exact: true }).first().waitFor()
  await page.getByRole('button', { name: '创建并开始' }).waitFor()
  await screenshot(page, 'task-form-zh')
})
