import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { installDemoSite } from '../helpers/demo-site.js'
import { startServerProcess } from '../helpers/server-process.js'
import { openBrowser, screenshot } from './browser.js'
import { signIn } from './page-fixture.js'

// The days calendar against a real server whose beslogin is this machine (a host of HOSTS_FILE with transport
// "local"), on the simulated site with six days of raw data over two months; the standard workflow's site
// variables point at the site, as an operator would set them.

interface Day { day: string; next: boolean; task: { id: number; status: string } | null }

t.test('the days calendar: a month per round, each day by its state, the next day marked; a click opens or starts', async (t) => {
  const days = ['250530', '250531', '250601', '250602', '250603', '250604']
  const site = await installDemoSite(t, { days, runs: 2, files: 1, stepSeconds: 0.05, rootPauseSeconds: 0.1 })
  const v = site.vars
  await site.run(`mkdir -p -- '${v.job_dir}/250530'`)
  const dir = mkdtempSync(join(tmpdir(), 'topup-web-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const hostsFile = join(dir, 'hosts.json')
  writeFileSync(hostsFile, JSON.stringify({ hosts: { beslogin: { hostname: 'localhost', username: 'topup', transport: 'local' } } }))
  const server = await startServerProcess(t, dir, {
    HOSTS_FILE: hostsFile, TOPUP_VAR_RAW_DATA_DIR: `${v.data_root}/{{ params.round }}`, TOPUP_VAR_WORK_AREA: v.work_area,
    TOPUP_VAR_ENV_SCRIPT: v.env_script, TOPUP_VAR_HEPJOB_BIN: v.hepjob_bin, TOPUP_VAR_CONTAINER_SHELL: v.container_shell,
    TOPUP_VAR_POLL_SECONDS: '0.2',
  })
  const task = async (day: string, start: boolean) => (await server.api<{ id: number }>('POST', '/api/tasks', {
    workflow_name: 'topup_standard_workflow', parameters: { date_param: day, max_wait_minutes: 5 }, start,
  })).body.id
  // 250531 runs stage 1 to its review; 250601 waits queued behind it (one day at a time per round); 250602 is cancelled.
  const reviewed = await task('250531', true)
  await server.waitForStatus(reviewed, ['paused'], 120_000)
  const queued = await task('250601', true)
  await server.waitForStatus(queued, ['queued'])
  const cancelled = await task('250602', false)
  await server.api('POST', `/api/tasks/${cancelled}/cancel`)
  await server.waitForStatus(cancelled, ['cancelled'])
  const listing = (await server.api<{ next_day: string; days: Day[] }>('GET', '/api/days?round=round18&refresh=true')).body

  const page = await (await openBrowser(t)).newPage()
  await signIn(page, server.base)
  await page.getByRole('link', { name: 'Days' }).click()
  const cell = (day: string) => page.locator(`td[data-day="${day}"]`)
  await cell('250604').waitFor()
  t.same(await page.locator('.month h2').allInnerTexts(), ['May 2025', 'June 2025'], 'a calendar per month of the round')
  const states = Object.fromEntries(await Promise.all(
    ['250529', ...days].map(async (day) => [day, await cell(day).getAttribute('data-state')])))
  t.same(states, {
    250529: 'nodata', 250530: 'done', 250531: 'review', 250601: 'running', 250602: 'failed', 250603: 'waiting', 250604: 'waiting',
  })
  t.equal(await page.locator('td[data-next="true"]').count(), 1, 'one day marked next')
  t.equal(await page.locator('td[data-next="true"]').getAttribute('data-day'), listing.next_day, 'the day the API names')
  t.equal(listing.next_day, '250602', 'the cancelled day is the earliest left to process')
  t.equal(await cell('250531').getAttribute('data-task-id'), String(reviewed))
  await screenshot(page, 'days')

  // A day with a task opens it.
  await cell('250531').getByRole('button').click()
  await page.waitForURL(`**/#/tasks/${reviewed}`)
  await page.locator('.task-header [data-status="paused"]').waitFor()

  // A day without one asks, then starts the standard workflow for it and opens the new task.
  await page.goBack()
  await cell('250604').getByRole('button').click()
  const dialog = page.getByTestId('start-day')
  t.match(await dialog.innerText(), /Start processing 250604 \(4 June 2025\) of round18/)
  await screenshot(page, 'days-start')
  await page.getByTestId('confirm-start').click()
  await page.waitForURL(/#\/tasks\/\d+$/)
  const started = Number(/#\/tasks\/(\d+)$/.exec(page.url())![1])
  const created = (await server.api<{ workflow_name: string; parameters: Record<string, unknown>; status: string }>(
    'GET', `/api/tasks/${started}`)).body
  t.match(created, { workflow_name: 'topup_standard_workflow', parameters: { date_param: '250604', round: 'round18' }, status: 'queued' })
  await page.goBack()
  await page.locator(`td[data-day="250604"][data-task-id="${started}"][data-state="running"]`).waitFor()

  // Chinese.
  await page.getByTestId('language').selectOption('zh')
  await page.locator('.month h2').getByText('2025年6月').waitFor()
  await screenshot(page, 'days-zh')
})
