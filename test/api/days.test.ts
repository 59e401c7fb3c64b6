import t from 'tap'
import type { Test } from 'tap'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import type { HostTransports } from '../../src/remote/transport-provider.js'
import { buildTestApp, type TestAppOptions } from '../helpers/app.js'
import { startSshSite } from '../helpers/ssh-site.js'
import { runCollect, siteProvider } from '../remote/site-provider.js'

// GET /api/days on the SSH test site: beslogin is the target behind the jump, whose login shells print noise on
// every command. The site's folders are made on the target under a temporary root, and the standard workflow's
// site variables point there (TOPUP_VAR_RAW_DATA_DIR, TOPUP_VAR_WORK_AREA), as an operator would set them.

const site = await startSshSite(t)
const { provider } = siteProvider(t, site, { extraHosts: { beslogin: site.hosts.target } })

const made = await runCollect(provider, 'beslogin', `d=~/.topup/days-${process.pid}-${Date.now()} && mkdir -p "$d" && cd "$d" && pwd`)
const root = made.stdout.at(-1)!
t.teardown(() => runCollect(provider, 'beslogin', `rm -rf -- '${root}'`).catch(() => {}))

/** Day folders with raw data, and folders (and a file) in InjSigTimeCal, per round; a round left out has none. */
async function makeSite(layout: Record<string, { raw?: string[]; processed?: string[] }>) {
  const dirs: string[] = []
  const files: string[] = []
  for (const [round, { raw = [], processed }] of Object.entries(layout)) {
    dirs.push(...raw.map((day) => `raw/${round}/${day}`))
    if (!processed) continue
    const jobDir = `work/${round}/DataValid/InjSigTimeCal`
    dirs.push(`${jobDir}/calibConst`, ...processed.map((day) => `${jobDir}/${day}`))
    files.push(`${jobDir}/interval.txt`)
  }
  const result = await runCollect(provider, 'beslogin', `cd '${root}' && mkdir -p ${dirs.join(' ')} && touch -- ${files.join(' ')} /dev/null`)
  if (result.exitCode !== 0) throw new Error(result.stderr.join('\n'))
}

await makeSite({
  round18: { raw: ['250622', '250623', '250624', '250625', 'notaday', '991399', '2506240'], processed: ['250622', '250623', '250699'] },
  round20: { raw: ['250701', '250702'] },
  round21: { raw: ['250801', '250802', '250803', '250804'], processed: ['250801'] },
})

const siteVars = { TOPUP_VAR_RAW_DATA_DIR: `${root}/raw/{{ params.round }}`, TOPUP_VAR_WORK_AREA: `${root}/work/{{ params.round }}/DataValid` }

function appOptions(options: TestAppOptions = {}): TestAppOptions {
  return { transports: provider, ...options, env: { ...siteVars, DAYS_CACHE_SECONDS: '3600', ...options.env } }
}
const app = (t: Test, options?: TestAppOptions) => buildTestApp(t, appOptions(options))

interface DayList {
  days: { day: string; processed: boolean | null; next: boolean; task: null | Record<string, unknown> }[]
  [key: string]: unknown
}

t.test('the days with raw data, whether the site processed them and the earliest one left, through the jump', async (t) => {
  const { app: api, authFor } = await app(t)
  const res = await api.inject({ url: '/api/days?round=round18', headers: authFor('alice') })
  t.equal(res.statusCode, 200, res.body)
  const body = res.json() as DayList
  t.match(body, {
    round: 'round18', host: 'beslogin', raw_data_dir: `${root}/raw/round18`,
    job_dir: `${root}/work/round18/DataValid/InjSigTimeCal`, cached: false, warning: null,
    next_day: '250624', total: 4, processed_count: 2, unprocessed_count: 2, listed_at: String,
  })
  t.same(body.days, [
    { day: '250622', processed: true, next: false, task: null },
    { day: '250623', processed: true, next: false, task: null },
    { day: '250624', processed: false, next: true, task: null },
    { day: '250625', processed: false, next: false, task: null },
  ], 'only real YYMMDD days, sorted; nothing of the login noise')
})

t.test('a listing is reused for DAYS_CACHE_SECONDS; refresh=true lists the site again', async (t) => {
  const { app: api, authFor } = await app(t)
  const alice = authFor('alice')
  const list = async (query = '') => (await api.inject({ url: `/api/days?round=round21${query}`, headers: alice })).json() as DayList
  const first = await list()
  t.equal(first.cached, false)
  await makeSite({ round21: { raw: ['250805'], processed: ['250802'] } })
  const second = await list()
  t.match(second, { cached: true, listed_at: first.listed_at, total: 4 }, 'the kept listing: the new folders are not seen yet')
  const refreshed = await list('&refresh=true')
  t.match(refreshed, { cached: false, total: 5, processed_count: 2 })
  t.same(refreshed.days.map((d) => [d.day, d.processed]), [['250801', true], ['250802', true], ['250803', false], ['250804', false], ['250805', false]])
  t.match(await list(), { cached: true, listed_at: refreshed.listed_at, total: 5 }, 'the refreshed listing is the one kept')

  const uncached = await app(t, { env: { DAYS_CACHE_SECONDS: '0' } })
  const ask = async () => (await uncached.app.inject({ url: '/api/days?round=round21', headers: alice })).json() as DayList
  t.match(await ask(), { cached: false })
  t.match(await ask(), { cached: false }, 'DAYS_CACHE_SECONDS=0: every request lists')
})

/** The standard workflow's name and folders, with steps that run on beslogin: a review point, or a failure for one day. */
const standardStandIn = {
  name: 'topup_standard_workflow', display_name: 'Standard (stand-in)', version: '1',
  parameters: {
    date_param: { type: 'string', format: 'yymmdd', required: true },
    round: { type: 'string', default: 'round18', pattern: '^round[0-9]+$' },
  },
  vars: { raw_data_dir: '/nowhere/{{ params.round }}', work_area: '/nowhere/{{ params.round }}', job_dir: '{{ vars.work_area }}/InjSigTimeCal' },
  steps: [
    { id: 'submit_jobs', display_name: '1.1 Submit', type: 'exec', host: 'beslogin', inputs: { command: 'test {{ params.date_param }} != 250803' }, retry: { count: 0 } },
    { id: 'merge_plots', display_name: '1.4 Merge plots', type: 'exec', host: 'beslogin', inputs: { command: 'echo merged' }, pause_after: true },
    { id: 'after_review', display_name: '2.1 After the review', type: 'exec', host: 'beslogin', inputs: { command: 'echo next' } },
  ],
}

t.test('each day carries the latest task of its round: status, step, progress, review pending', async (t) => {
  const { app: api, authFor, engine } = await buildTestApp(t, { ...appOptions({ workflows: [standardStandIn] }), engine: true })
  const alice = authFor('alice')
  const create = async (date: string, round = 'round21', start = true) => {
    const res = await api.inject({ method: 'POST', url: '/api/tasks', headers: alice,
      payload: { workflow_name: 'topup_standard_workflow', parameters: { date_param: date, round }, start } })
    t.equal(res.statusCode, 201, `created the task of ${date}`)
    return (res.json() as { id: number }).id
  }
  const statuses = new Map<number, string[]>()
  const wake: (() => void)[] = []
  engine.bus.subscribe((e) => {
    if (e.type !== 'task.status') return
    statuses.set(e.task_id, [...statuses.get(e.task_id) ?? [], e.data.status])
    wake.splice(0).forEach((resolve) => resolve())
  })
  const reached = async (id: number, status: string) => {
    while (!statuses.get(id)?.includes(status)) await new Promise<void>((resolve) => wake.push(resolve))
  }
  const cancelled = await create('250803', 'round21', false)
  t.equal((await api.inject({ method: 'POST', url: `/api/tasks/${cancelled}/cancel`, headers: alice })).statusCode, 200)
  await reached(cancelled, 'cancelled')
  const failedId = await create('250803')
  const reviewId = await create('250802')
  await Promise.all([reached(failedId, 'failed'), reached(reviewId, 'paused')])
  await create('250804', 'round18', false)

  const body = (await api.inject({ url: '/api/days?round=round21&refresh=true', headers: alice })).json() as DayList
  const byDay = Object.fromEntries(body.days.map((d) => [d.day, d]))
  t.match(byDay['250802']!.task, {
    id: reviewId, user_id: 'alice', status: 'paused', status_reason: 'waiting for review', review_pending: true,
    current_step: String, progress_percentage: Number, task_count: 1, created_at: String,
  })
  t.match(byDay['250803']!.task, { id: failedId, status: 'failed', review_pending: false, task_count: 2 }, 'the latest of two tasks')
  t.equal(byDay['250804']!.task, null, 'a task of another round is not this round\'s record')
  t.equal(body.next_day, '250803', 'the earliest unprocessed day no unfinished task works on (250802 waits for review)')
  t.same(body.days.filter((d) => d.next).map((d) => d.day), ['250803'])

  const step = await api.inject({ url: `/api/tasks/${reviewId}`, headers: alice })
  const current = (step.json() as { current_step: string }).current_step
  t.equal(byDay['250802']!.task!.current_step, current)
  t.equal(byDay['250802']!.task!.current_step_name, standardStandIn.steps.find((s) => s.id === current)!.display_name)
})

t.test('an InjSigTimeCal that cannot be listed is a warning, not a failure', async (t) => {
  const { app: api, authFor } = await app(t)
  const res = await api.inject({ url: '/api/days?round=round20', headers: authFor('alice') })
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), {
    warning: /InjSigTimeCal .*cannot be listed.*No such file or directory.*unknown/, next_day: null, total: 2,
    processed_count: null, unprocessed_count: null,
    days: [{ day: '250701', processed: null, next: false }, { day: '250702', processed: null, next: false }],
  })
})

t.test('the raw-data folder not listed, or the host not answering, is a 5xx problem with a stable code', async (t) => {
  const { app: api, authFor } = await app(t)
  const alice = authFor('alice')
  const missing = await api.inject({ url: '/api/days?round=round19', headers: alice })
  t.equal(missing.statusCode, 502)
  t.match(missing.headers['content-type'], /^application\/problem\+json/)
  t.match(missing.json(), { code: 'site_listing_failed', status: 502, detail: new RegExp(`raw-data folder ${root}/raw/round19 on beslogin cannot be listed: .*No such file`) })

  const dead = siteProvider(t, site, { extraHosts: { deadjump: { ...site.hosts.jump, port: 1 }, beslogin: { ...site.hosts.target, via: 'deadjump' } } })
  const unreachable = await (await app(t, { transports: dead.provider })).app.inject({ url: '/api/days?round=round18', headers: alice })
  t.equal(unreachable.statusCode, 503)
  t.match(unreachable.json(), { code: 'site_unreachable', detail: /^beslogin cannot be reached: / })

  const none = await buildTestApp(t, { env: siteVars })
  t.match((await none.app.inject({ url: '/api/days?round=round18', headers: alice })).json(),
    { status: 503, code: 'site_unreachable', detail: /host "beslogin"/ }, 'no transport for beslogin')
})

t.test('an answer without its frame is a 502, never days read from the noise', async (t) => {
  // a login shell that prints noise (a day among it) and ends before the command runs
  const local = new LocalTransport()
  const shell: HostTransports['transportFor'] = () => ({
    host: 'beslogin',
    run: (request) => local.run({ ...request, command: `printf '%s\\n' 'Welcome' 250624 'raw 250625'; exit 1` }),
    killProcessGroup: (...args) => local.killProcessGroup(...args),
    fetchFile: (...args) => local.fetchFile(...args),
  })
  const { app: api, authFor } = await app(t, { transports: { transportFor: shell, hostDown: () => null, userOf: () => 'topup' } })
  const res = await api.inject({ url: '/api/days?round=round18', headers: authFor('alice') })
  t.equal(res.statusCode, 502)
  t.match(res.json(), { code: 'site_listing_failed', detail: /the listing of days on beslogin: its output holds no framed answer \(the begin line is missing\) \(exit code 1\)/ })
})

t.test('bad input is a 4xx problem', async (t) => {
  const { app: api, authFor } = await app(t)
  const alice = authFor('alice')
  for (const query of ['', '?round=', '?round=round', '?round=Round18', '?round=round18x', '?round=..%2Fround18', `?round=round${'1'.repeat(30)}`,
    '?round=round18&round=round19', '?round=round18&refresh=yes', '?round=round18&extra=1']) {
    const res = await api.inject({ url: `/api/days${query}`, headers: alice })
    t.equal(res.statusCode, 400, `${query}: ${res.body}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { code: 'validation_failed' }, query)
  }
  const anonymous = await api.inject({ url: '/api/days?round=round18' })
  t.match(anonymous.json(), { status: 401, code: 'unauthorized' })
})
