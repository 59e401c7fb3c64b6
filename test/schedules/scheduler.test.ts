import t, { type Test } from 'tap'
import pino from 'pino'
import type { Db } from '../../src/db/connect.js'
import type { Engine } from '../../src/engine/engine.js'
import { parseSchedules, type ScheduleConfig } from '../../src/schedules/schedule-file.js'
import { createScheduler, type Scheduler } from '../../src/schedules/scheduler.js'
import type { WorkflowCatalog } from '../../src/workflows/sync.js'
import { buildTestApp } from '../helpers/app.js'
import { handClock } from '../helpers/hand-clock.js'

// Schedules on a real engine and database, with a clock the test moves by hand: firings are synchronised on the
// scheduler having settled, never on elapsed time.

const dailyFlow = {
  name: 'daily_flow', display_name: 'Daily', version: '1',
  parameters: {
    date_param: { type: 'string', format: 'yymmdd', required: true },
    round: { type: 'string', default: 'round18' },
  },
  steps: [{ id: 'echo', display_name: 'echo', type: 'exec', host: 'local', inputs: { command: 'echo day {{ params.date_param }}' } }],
}

/** Waits for what a firing did: it re-arms the schedule after it settles, so twice. */
const settle = (scheduler: Scheduler) => async () => { await scheduler.settled(); await scheduler.settled() }

const daily: ScheduleConfig = {
  cron: '30 7 * * *', time_zone: 'Asia/Shanghai', workflow: 'daily_flow', user: 'topup', start: true, catch_up: 'latest',
  enabled: true, parameters: { date_param: '{{ schedule.date | minus_days(1) | yymmdd }}' },
}

async function setup(t: Test, start: string, schedules: Record<string, Partial<ScheduleConfig>>) {
  const hand = handClock(start)
  let parts!: { db: Db; workflows: WorkflowCatalog; control?: Engine }
  const made: Scheduler[] = []
  const test = await buildTestApp(t, {
    engine: true, workflows: [dailyFlow],
    scheduler: (p) => { parts = p as typeof parts; return { schedules: [], nextRuns: () => [] } },
  })
  /** A scheduler as a (re)started server makes it: from the file's text and the clock's now. */
  const scheduler = async (which = schedules) => {
    const s = createScheduler({
      db: parts.db, workflows: parts.workflows, siteVars: {}, control: test.engine, logger: pino({ level: 'silent' }),
      clock: hand.clock, catchUpMax: 3,
      schedules: parseSchedules({ schedules: Object.fromEntries(Object.entries(which).map(([n, c]) => [n, { ...daily, ...c }])) }, parts.workflows),
    })
    made.push(s)
    await s.start()
    return s
  }
  t.teardown(async () => { for (const s of made) await s.stop() })
  const runs = (name: string) => test.db.selectFrom('schedule_runs').selectAll().where('schedule', '=', name).orderBy('fire_time').execute()
  const tasks = () => test.db.selectFrom('tasks').select(['id', 'user_id', 'created_by', 'date_param', 'status']).orderBy('id').execute()
  return { ...test, hand, scheduler, runs, tasks }
}

t.test('a daily schedule makes yesterday\'s task at 07:30 Shanghai time and starts it', async (t) => {
  // 07:00 in Shanghai on 2 December is 23:00 UTC on 1 December
  const s = await setup(t, '2026-12-01T23:00:00Z', { daily: {} })
  const scheduler = await s.scheduler()
  t.same(scheduler.nextRuns('daily', 2).map((d) => d.toISOString()), ['2026-12-01T23:30:00.000Z', '2026-12-02T23:30:00.000Z'])
  await s.hand.advanceTo('2026-12-01T23:29:59Z', settle(scheduler))
  t.same(await s.tasks(), [], 'nothing before its time')

  await s.hand.advanceTo('2026-12-01T23:31:00Z', settle(scheduler))
  const [task] = await s.tasks()
  t.match(task, { user_id: 'topup', created_by: 'schedule:daily', date_param: '261201' }, 'the day before, in Shanghai\'s calendar')
  t.match(await s.runs('daily'), [{ fire_time: '2026-12-01T23:30:00.000Z', outcome: 'created', task_id: task!.id }])
  const detail = await s.app.inject({ method: 'GET', url: `/api/tasks/${task!.id}`, headers: s.authFor('topup') })
  t.match(detail.json(), { created_by: 'schedule:daily' })
  t.same(detail.json().actions.map((a: { action: string; actor: unknown }) => [a.action, a.actor]), [
    ['create', { user_id: 'schedule:daily', role: 'schedule' }], ['start', { user_id: 'schedule:daily', role: 'schedule' }],
  ], 'the schedule is who created and started it')
})

t.test('a day already done or under way is skipped with a reason; a failed one is made again', async (t) => {
  const s = await setup(t, '2026-12-01T23:00:00Z', { daily: { start: false } })
  const scheduler = await s.scheduler()
  const made = await s.app.inject({
    method: 'POST', url: '/api/tasks', headers: s.authFor('alice'),
    payload: { workflow_name: 'daily_flow', parameters: { date_param: '261201' } },
  })
  t.equal(made.statusCode, 201)
  t.equal(made.json().created_by, 'alice', 'a task made through the API names its maker')
  await s.hand.advanceTo('2026-12-01T23:31:00Z', settle(scheduler))
  t.match(await s.runs('daily'), [{ outcome: 'skipped', task_id: null, message: `task ${made.json().id} of daily_flow for 261201 is pending` }])

  await s.db.updateTable('tasks').set({ status: 'failed' }).where('id', '=', made.json().id).execute()
  await scheduler.stop() // a restart, with the file changed to look two days back
  s.hand.set('2026-12-02T23:00:00Z')
  const again = await s.scheduler({ daily: { start: false, parameters: { date_param: '{{ schedule.date | minus_days(2) | yymmdd }}' } } })
  await s.hand.advanceTo('2026-12-02T23:31:00Z', settle(again))
  const latest = (await s.runs('daily')).at(-1)
  t.match(latest, { fire_time: '2026-12-02T23:30:00.000Z', outcome: 'created' }, 'the failed day 261201 is tried again')
  t.match((await s.tasks()).at(-1), { date_param: '261201', status: 'pending', created_by: 'schedule:daily' }, 'not started: start false')
})

t.test('after downtime each policy catches up as it says, and nothing is made twice', async (t) => {
  const s = await setup(t, '2026-12-01T23:00:00Z', { latest: {}, all: { catch_up: 'all' }, none: { catch_up: 'none' } })
  const all = ['latest', 'all', 'none']
  const first = await s.scheduler()
  await s.hand.advanceTo('2026-12-01T23:31:00Z', settle(first))
  for (const name of all) t.equal((await s.runs(name)).length, 1, `${name}: fired once`)
  await first.stop()

  // down for five days: firings on 2, 3, 4, 5 and 6 December (UTC evenings) were missed
  s.hand.set('2026-12-07T00:00:00Z')
  const second = await s.scheduler()
  await second.settled()
  const fired = async (name: string) => (await s.runs(name)).map((r) => r.fire_time.slice(0, 10))
  t.same(await fired('latest'), ['2026-12-01', '2026-12-06'], 'latest: the last missed firing only')
  t.same(await fired('all'), ['2026-12-01', '2026-12-04', '2026-12-05', '2026-12-06'], 'all: the newest SCHEDULE_CATCH_UP_MAX (3)')
  t.same(await fired('none'), ['2026-12-01'], 'none: nothing caught up')
  await second.stop()

  // a third start at the same moment finds every firing recorded: nothing again
  const before = (await s.tasks()).length
  const third = await s.scheduler()
  await third.settled()
  t.equal((await s.tasks()).length, before, 'a restart makes no task twice')
  // the tasks of 'latest' and 'all' share days: the second of a day is skipped, never a duplicate
  const days = (await s.tasks()).map((x) => x.date_param)
  t.equal(new Set(days).size, days.length, 'one task per day')
})

t.test('GET /api/schedules shows the next firings and what each firing did', async (t) => {
  const hand = handClock('2026-12-01T23:00:00Z')
  let scheduler!: Scheduler
  const test = await buildTestApp(t, {
    engine: true, workflows: [dailyFlow],
    scheduler: ({ db, workflows, control }) => {
      scheduler = createScheduler({
        db, workflows, siteVars: {}, ...(control ? { control } : {}), logger: pino({ level: 'silent' }), clock: hand.clock, catchUpMax: 3,
        schedules: parseSchedules({ schedules: { daily, off: { ...daily, enabled: false } } }, workflows),
      })
      return scheduler
    },
  })
  t.teardown(() => scheduler.stop())
  await scheduler.start()
  await hand.advanceTo('2026-12-01T23:31:00Z', settle(scheduler))
  const res = await test.app.inject({ method: 'GET', url: '/api/schedules', headers: test.authFor('alice') })
  t.equal(res.statusCode, 200)
  const [on, off] = res.json().items
  t.match(on, {
    name: 'daily', cron: '30 7 * * *', time_zone: 'Asia/Shanghai', workflow: 'daily_flow', catch_up: 'latest',
    next_runs: ['2026-12-02T23:30:00.000Z', '2026-12-03T23:30:00.000Z'],
    recent_runs: [{ fire_time: '2026-12-01T23:30:00.000Z', outcome: 'created' }],
  })
  t.match(off, { name: 'off', enabled: false, next_runs: [], recent_runs: [] })
  const page = await test.app.inject({ method: 'GET', url: '/api/schedules/daily/runs?limit=5', headers: test.authFor('alice') })
  t.match(page.json(), { total: 1, limit: 5, offset: 0, items: [{ outcome: 'created' }] })
  const missing = await test.app.inject({ method: 'GET', url: '/api/schedules/nope/runs', headers: test.authFor('alice') })
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { code: 'not_found', detail: /GET \/api\/schedules lists them/ })
})

t.test('a schedule file with a fault stops the start, saying where', async (t) => {
  const test = await buildTestApp(t, { workflows: [dailyFlow] })
  const fault = (over: Record<string, unknown>) => () => parseSchedules({ schedules: { daily: { ...daily, ...over } } }, test.workflows, 'schedules.json')
  t.throws(fault({ cron: '61 * * * *' }), /schedules\.json: schedule "daily": /, 'a bad cron expression')
  t.throws(fault({ time_zone: 'Mars/Olympus' }), /schedule "daily": .*(time ?zone|Mars)/i, 'an unknown time zone')
  t.throws(fault({ workflow: 'nope' }), /workflow "nope" is not loaded/)
  t.throws(fault({ parameters: { date_param: '{{ schedule.date | minus_weeks(1) | yymmdd }}' } }), /unknown filter "minus_weeks\(1\)"/)
  t.throws(fault({ parameters: { date_param: '{{ task.id }}' } }), /only schedule\.date is known/)
  t.throws(fault({ parameters: { date_param: '{{ schedule.date | iso_date }}' } }), /date_param/, 'a value the workflow refuses')
  t.throws(fault({ catch_up: 'sometimes' }), /catch_up/)
  t.throws(fault({ colour: 'red' }), /schedules\.json: \/schedules\/daily/)
})
