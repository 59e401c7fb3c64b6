import t from 'tap'
import type { Test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { listTaskArtifacts } from '../../src/db/artifact-repository.js'
import { taskOutputValues } from '../../src/db/output-repository.js'
import type { TaskEvent } from '../../src/domain.js'
import { shellQuote as q } from '../../src/shell-quote.js'
import type { WorkflowDefinition } from '../../src/workflows/definition.js'
import { engineFixture, type EngineFixture, type TestWorkflow } from '../engine/fixture.js'
import { installDemoSite, type DemoSite } from '../helpers/demo-site.js'
import { onThisMachine, throughTheJump, type SitePlace } from '../helpers/site-place.js'

// workflows/topup_db_upload.json as shipped, run by the real engine on the simulated site (scripts/demo/site) on
// this machine: its step-8 programs record every call in site/calls.log and every insert in site/database.txt.
const workflow = JSON.parse(readFileSync('workflows/topup_db_upload.json', 'utf8')) as WorkflowDefinition & TestWorkflow
const DAYS = ['250623', '250624']


/** A site as the daily chain leaves it for the upload: two days' runs in interval.txt and calibConst/. */
async function siteReady(t: Test, place: SitePlace = onThisMachine()): Promise<{ site: DemoSite; runs: string[] }> {
  const site = await installDemoSite(t, { days: DAYS, runs: 2, files: 1 }, place.transport)
  const v = site.vars
  const runs = DAYS.flatMap((day) => site.runs[day]!)
  const base = v.work_area
  const lines = (make: (run: string) => string) => q(runs.map(make).join('\n') + '\n')
  const made = await site.run([
    `printf '%s' ${lines((r) => `${r} 15000000`)} > ${q(`${v.job_dir}/interval.txt`)}`,
    `printf '%s' ${lines((r) => `${r} 120.5 130.5`)} > ${q(`${base}/Determining_50Hz_cut/search_peak/window.dat`)}`,
    `printf '%s' ${lines((r) => `${r} 10 12`)} > ${q(`${base}/Determining_ETS_cut/ETS_cut/ets_cut.txt`)}`,
    ...runs.map((r) => `echo root > ${q(`${v.job_dir}/calibConst/InjSigTime_00${r}_720.root`)}`),
  ].join(' && '))
  t.equal(made.exitCode, 0, made.stderr.join('\n'))
  return { site, runs }
}

function engineFor(t: Test, site: DemoSite, place: SitePlace = onThisMachine()): EngineFixture {
  const v = site.vars
  return engineFixture(t, {
    transports: place.transports,
    config: {
      siteVars: {
        work_area: v.work_area, env_script: v.env_script, afs_injsiginterval: v.afs_injsiginterval,
        afs_injsigtime: v.afs_injsigtime, afs_offlineevtfilter: v.afs_offlineevtfilter, checkdb_share: v.checkdb_share,
      },
    },
  })
}

const logs = (events: TaskEvent[]) => events.flatMap((e) => e.type === 'log' ? [e.data] : [])
const stepsStarted = (events: TaskEvent[]) => events.flatMap((e) => e.type === 'step.started' ? [e.data.step_id] : [])

t.test('the range first; each part\'s dry run kept and reviewed before its insert, which happens once', (t) =>
  fullUpload(t, onThisMachine()))
t.test('the same on the SSH test site through the jump, under the login noise', async (t) => fullUpload(t, await throughTheJump(t)))

async function fullUpload(t: Test, place: SitePlace) {
  const { site, runs } = await siteReady(t, place)
  const v = site.vars
  const [from, to] = [runs[0]!, runs.at(-1)!]
  const f = engineFor(t, site, place)
  const task = await f.createTask(workflow, {}, 'alice')
  await f.engine.start(task.id)

  const insert = (table: string, dir: string, first: string, last: string, file: string) =>
    `insertdb -table ${table} -boss 7.2.0 -round round18 -runfrom ${first} -runto ${last} -file ${dir}/${file}`
  const rel = (path: string) => path.slice(site.root.length + 1)
  const parts = [
    { table: 'InjSigInterval', dir: v.afs_injsiginterval, files: [[from, to, `InjSigInterval_${from}_${to}.root`]] },
    { table: 'InjSigTime', dir: v.afs_injsigtime, files: runs.map((r) => [r, r, `InjSigTime_00${r}_720.root`]) },
    { table: 'OfflineEvtFilter', dir: v.afs_offlineevtfilter, files: runs.map((r) => [r, r, `OfflineEvtFilter_00${r}_720.root`]) },
  ]
  const rowsOf = (part: (typeof parts)[number]) =>
    part.files.map(([first, last, file]) => [part.table, '7.2.0', 'round18', first!, last!, rel(`${part.dir}/${file}`)])
  const realInserts = async (dir: string) =>
    (await site.calls()).filter((c) => c.program === rel(`${dir}/genInsertCmd.sh`) && c.args.at(-1) === '1').length

  for (const [i, part] of parts.entries()) {
    const paused = await f.waitForStatus(task.id, 'paused', 60_000)
    t.match(paused, { current_step: `download_dry_run_${part.table.toLowerCase()}`, resume_from_step: `insert_${part.table.toLowerCase()}` },
      `${part.table}: paused after its dry run's download, before its real insert`)
    t.match(paused.status_reason, /^waiting for review: the \w+ dry run; resuming approves its insert — Open the dry run of genInsertCmd\.sh/, 'the reason says what to look at')
    const { rows } = await listTaskArtifacts(f.db, task.id, { limit: 10, offset: 0 })
    t.equal(rows.length, i + 1, 'one artifact a dry run so far')
    const artifact = rows.at(-1)!
    t.equal(artifact.output_name, `dry_run_${part.table}_${from}_${to}.txt`)
    t.same(readFileSync(join(f.dir, 'data', artifact.output_path!), 'utf8').trim().split('\n'),
      part.files.map(([first, last, file]) => insert(part.table, part.dir, first!, last!, file!)),
      'the artifact holds the inserts the dry run printed')
    t.same(await site.database(), parts.slice(0, i).flatMap(rowsOf), 'nothing of this part is inserted before the review')
    t.equal(await realInserts(part.dir), 0)
    await f.engine.resume(task.id, {}, { user_id: 'bob', role: 'user' })
  }
  const done = await f.waitForStatus(task.id, ['success', 'failed'], 60_000)
  t.equal(done.status, 'success', String(done.error_message))
  t.same(await site.database(), parts.flatMap(rowsOf), 'every constant inserted once')
  for (const part of parts) t.equal(await realInserts(part.dir), 1, `${part.table}: genInsertCmd.sh -sub_switch 1 called once`)

  const events = await f.events(task.id)
  const started = stepsStarted(events)
  t.equal(started[0], 'range', 'the range is the first step')
  t.same(started, workflow.steps.map((s) => s.id), 'every step once, 8.1 → 8.2 → 8.3 in order')
  const lines = logs(events)
  const shown = lines.findIndex((l) => /^RUN RANGE /.test(l.message))
  t.match(lines[shown], { message: `RUN RANGE ${from} to ${to} (4 lines in interval.txt)` }, 'the range is in the log')
  const firstOfOthers = events.findIndex((e) => e.type === 'step.started' && e.data.step_id !== 'range')
  t.ok(events.findIndex((e) => e.type === 'log' && e.data.message.startsWith('RUN RANGE ')) < firstOfOthers,
    'and shown before any other step starts')
  t.match((await taskOutputValues(f.db, task.id)).range, { run_from: from, run_to: to }, 'and in the outputs')
  t.same(lines.filter((l) => l.source === 'resume').map((l) => l.message), ['resumed by bob', 'resumed by bob', 'resumed by bob'],
    'each approval records who approved')

  const programs = (await site.calls()).map((c) => `${c.program.split('/').at(-1)} ${c.args.join(' ')}`.trim())
  t.same(programs, [
    'clean_interval.sh', 'g++ -Wall genConst.cpp', `a.out ${from}`, 'rootmove.sh',
    ...['0', '1'].map((n) => `genInsertCmd.sh -runfrom ${from} -runto ${to} -sub_switch ${n}`), 'rootmove.sh',
    ...['0', '1'].map((n) => `genInsertCmd.sh -runfrom ${from} -runto ${to} -sub_switch ${n}`),
    'cp_3files.sh', 'a.out', 'a.out', `a.out 720 ${from} ${to}`, `a.out 720 ${from} ${to}`, 'rootmove.sh',
    ...['0', '1'].map((n) => `genInsertCmd.sh -runfrom ${from} -runto ${to} -sub_switch ${n}`), 'reset_root.sh',
  ], 'the site\'s programs, in the order of stages.md')
}

/** Runs the upload, approving every review, until it ends; the ended task and its log. */
async function runToEnd(t: Test, site: DemoSite) {
  const f = engineFor(t, site)
  const task = await f.createTask(workflow, {})
  await f.engine.start(task.id)
  for (;;) {
    const done = await f.waitForStatus(task.id, ['paused', 'success', 'failed'], 60_000)
    if (done.status !== 'paused') return { done, log: logs(await f.events(task.id)) }
    await f.engine.resume(task.id, {}, { user_id: 'alice', role: 'user' })
  }
}

t.test('a ccompare error fails the task naming the line; OfflineEvtFilter is not inserted', async (t) => {
  const { site, runs } = await siteReady(t)
  await site.failStep8('ccompare', `Error:  Repeat run ${runs[1]}`)
  const { done } = await runToEnd(t, site)
  t.equal(done.status, 'failed')
  t.match(done.error_message, /^step ccompare failed: .*Error: {2}Repeat run \d{5}/)
  t.match(done.error_message, /ccompare found runs repeated, out of order or missing/)
  t.match(done.error_message, / — ccompare found runs repeated, out of order or missing in interval\.txt/, 'with its advice')
  t.notOk((await site.database()).some((row) => row[0] === 'OfflineEvtFilter'))
})

t.test('any output of the check program fails the task', async (t) => {
  const { site, runs } = await siteReady(t)
  await site.failStep8('check', '')
  const { done } = await runToEnd(t, site)
  t.equal(done.status, 'failed')
  t.match(done.error_message, `step check_oef failed: `)
  t.match(done.error_message, `check: constants of runs ${runs[0]} to ${runs.at(-1)} differ from the database`)
  t.match(done.error_message, / — The OfflineEvtFilter check found a difference/)
  t.notOk((await site.database()).some((row) => row[0] === 'OfflineEvtFilter'))
})

t.test('an interval.txt without a run range fails before any program of the site runs', async (t) => {
  const { site } = await siteReady(t)
  await site.run(`printf 'run interval\\n' > ${q(`${site.vars.job_dir}/interval.txt`)}`)
  const { done, log } = await runToEnd(t, site)
  t.equal(done.status, 'failed')
  t.match(done.error_message, /^step range failed: /)
  t.ok(log.some((l) => /^interval\.txt: 'run' \(.*\) is not a run number$/.test(l.message)), 'the log says why')
  t.match(done.error_message, / — InjSigTimeCal\/interval\.txt gives no usable run range/)
  t.same(await site.calls(), [], 'nothing was called')
})

t.test('while a daily task of the round is unfinished the upload waits queued, then runs', async (t) => {
  const { site } = await siteReady(t)
  const f = engineFor(t, site)
  const daily: TestWorkflow = {
    name: 'daily_stand_in', concurrency: { key: 'round-{{ params.round }}' },
    parameters: { round: { type: 'string', default: 'round18' } },
    steps: [{ id: 'review', display_name: 'review', type: 'exec', host: 'local', inputs: { command: 'true' }, pause_after: true }],
  }
  const day = await f.createTask(daily, {})
  await f.engine.start(day.id)
  await f.waitForStatus(day.id, 'paused')
  const upload = await f.createTask(workflow, {})
  await f.engine.start(upload.id)
  const waiting = await f.waitForEvent(upload.id, (e) => e.type === 'task.status' && e.data.status === 'queued'
    && /^waiting for task/.test(e.data.reason ?? ''))
  t.match(waiting, { data: { reason: `waiting for task ${day.id} of round-round18, paused for review` } })
  t.same(await site.calls(), [], 'the upload has not begun')
  await f.engine.resume(day.id)
  await f.waitForStatus(day.id, 'success')
  const paused = await f.waitForStatus(upload.id, 'paused', 60_000)
  t.equal(paused.resume_from_step, 'insert_injsiginterval', 'once the day ended, the upload ran to its first review')
})
