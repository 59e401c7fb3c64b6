import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decide, PAUSE_REASON, REVIEW_REASON, reviewReason, withAdvice, type DecisionInput } from '../../src/engine/step-decision.js'
import type { Advice, WorkflowDefinition } from '../../src/workflows/definition.js'
import { engineFixture, execStep, type TestWorkflow } from '../engine/fixture.js'
import { stopLocalSimCluster } from '../helpers/sim-cluster.js'
import { repoWorkflowsDir } from '../helpers/app.js'

const advice: Advice[] = [
  { match: '^step check failed: .*error: (repeat|miss)', advice: 'ccompare: look at the run list' },
  { match: 'TIMED OUT', advice: 'run it again', ignore_case: true },
  { match: '^step check failed', advice: 'the check failed' },
  { match: '^stopped for review: check: ', advice: 'look, then resume' },
  { match: '^waiting for review$', advice: 'open the merged PDF' },
]

const base: DecisionInput = {
  result: { status: 'failed', error: 'stdout line "error: repeat 10001"', retryable: false, summary: null },
  stop: null, stepId: 'check', onFailure: 'stop', pauseAfter: false, retriesLeft: false, isLast: false, advice,
}
const decision = (input: Partial<DecisionInput>) => decide({ ...base, ...input }).decision

t.test('the first advice whose pattern matches is added to a failure or a pause the step brought', async (t) => {
  t.same(decision({}), { kind: 'fail', message: 'step check failed: stdout line "error: repeat 10001" — ccompare: look at the run list' })
  t.same(decision({ result: { ...base.result, error: 'exit code 3' } }), { kind: 'fail', message: 'step check failed: exit code 3 — the check failed' })
  t.same(decision({ result: { status: 'timeout', error: 'timed out after 1 minute(s)', retryable: false, summary: null } }),
    { kind: 'fail', message: 'step check failed: timed out after 1 minute(s) — run it again' }, 'ignore_case')
  const review = reviewReason('check', 'stdout line "error: repeat 10001"')
  t.same(decision({ onFailure: 'pause' }), { kind: 'pause', at: 'same', reason: `${review} — look, then resume` },
    'on_failure pause: the rule is matched against the pause reason, "stopped for review: …"')
  t.same(decision({ result: { ...base.result, review: true } }), { kind: 'pause', at: 'same', reason: `${review} — look, then resume` })
  t.same(decision({ hostDown: 'host beslogin unreachable: timeout', result: { ...base.result, retryable: true } }),
    { kind: 'pause', at: 'same', reason: 'host beslogin unreachable: timeout' }, 'no rule matches: the reason alone')
  t.same(decision({ result: { status: 'success', error: null, retryable: false, summary: null }, pauseAfter: true }),
    { kind: 'pause', at: 'next', reason: `${REVIEW_REASON} — open the merged PDF` })
})

t.test('no advice for a pause a person asked for, for a workflow without advice, or for a step that goes on', async (t) => {
  const paused = decision({ result: { status: 'interrupted', error: null, retryable: true, summary: null }, stop: 'pause' })
  t.same(paused, { kind: 'pause', at: 'same', reason: PAUSE_REASON })
  t.same(decision({ advice: undefined }), { kind: 'fail', message: 'step check failed: stdout line "error: repeat 10001"' })
  t.same(decision({ onFailure: 'continue' }), { kind: 'next' })
  t.equal(withAdvice('anything', []), 'anything')
})

t.test('through the engine: a failed output check\'s message gets the workflow\'s advice', async (t) => {
  const f = engineFixture(t)
  const task = await f.createTask({
    steps: [execStep('check', `echo 'error: miss 10003'`, { inputs: { command: `echo 'error: miss 10003'`, fail_on: [{ pattern: '^error: ' }] } })],
    advice: [{ match: 'matches fail_on /\\^error: /', advice: 'a run is missing from the list: compare it with interval.txt' }],
  } as TestWorkflow)
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['failed', 'success', 'paused'])
  t.equal(done.error_message, 'step check failed: the output reports a failure: stdout line "error: miss 10003" matches fail_on /^error: / ' +
    '— a run is missing from the list: compare it with interval.txt')
})

const shipped = (file: string) => JSON.parse(readFileSync(join(repoWorkflowsDir, file), 'utf8')) as WorkflowDefinition

t.test('the shipped workflows advise on the failures of stage 1 the error dictionary knows', async (t) => {
  const cases = (ids: Record<'submit' | 'list' | 'wait' | 'logs' | 'move' | 'ist' | 'merge' | 'fetch', string>) => [
    [reviewReason(ids.wait, 'anomaly file Interval_run0.png appeared in /d/250624: the data needs a person\'s review'), '[1112]'],
    [reviewReason(ids.wait, 'gave up after 1500 s: 2 of 11 incomplete: 85383, 85384'), '[1111]'],
    [reviewReason(ids.wait, 'job 60726901.0 failed with exit code 3'), `retry_from_step "${ids.submit}"`],
    [reviewReason(ids.wait, `all 11 job(s) of ${ids.submit} completed, but 1 of 11 item(s) are incomplete: 85383`), 'lack some of their six files'],
    [reviewReason(ids.logs, 'command exit code 1 (expected exit code 0)'), 'FAILED run'],
    [reviewReason(ids.ist, 'command exit code 1 (expected exit code 0)'), '[1300-1302]'],
    [`step ${ids.submit} failed: required output(s) not found in stdout: cluster_ids`, '[1109]'],
    [`step ${ids.submit} failed: required marker /^DONE$/ never appeared in the output (exit code 0)`, '[1105/1106]'],
    [`step ${ids.list} failed: command exit code 2 (expected exit code 0)`, '[1108/1109]'],
    [`step ${ids.move} failed: command exit code 1 (expected exit code 0)`, '[1200-1202]'],
    [`step ${ids.merge} failed: required output(s) not found in stdout: pdf_path`, '[1401]'],
    [`step ${ids.fetch} failed: 0 file(s) match /d/mergedd_IST.pdf on beslogin, at least 1 required`, '[1402]'],
    [`step ${ids.merge} failed: timed out after 20 minute(s)`, '[3]'],
  ] as const
  const topup = shipped('topup_standard.json')
  const demo = shipped('demo.json')
  for (const [wf, ids] of [
    [topup, { submit: 'submit_jobs', list: 'list_runs', wait: 'wait_for_job_files', logs: 'check_job_logs', move: 'move_files', ist: 'ist_check', merge: 'merge_plots', fetch: 'download_pdf' }],
    [demo, { submit: 'submit', list: 'list_runs', wait: 'wait', logs: 'check_job_logs', move: 'move', ist: 'check', merge: 'merge', fetch: 'fetch_pdf' }],
  ] as const) {
    t.same(wf.steps.map((s) => s.id).filter((id) => (Object.values(ids) as string[]).includes(id)).sort(), Object.values(ids).sort(), `${wf.name}: the step ids advised on exist`)
    for (const [reason, code] of cases(ids)) {
      const added = withAdvice(reason, wf.advice).slice(reason.length)
      t.ok(added.startsWith(' — ') && added.includes(code), `${wf.name}: ${reason} → ${code}${added}`)
    }
    t.equal(withAdvice(REVIEW_REASON, wf.advice), REVIEW_REASON, `${wf.name}: the review pause stays as it is`)
  }
  t.match(withAdvice('host beslogin unreachable: jump_host_down: connect ETIMEDOUT', topup.advice), / — \[1\] /)
  t.match(withAdvice('step submit_jobs failed: authentication failed at lxlogin (22) (check the user and the password/key variables)', topup.advice), / — \[4\] /)
})

t.test('the demo on the engine: abnormal data pauses the task with the advice of error 1112', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'topup-demo-advice-'))
  const f = engineFixture(t, { config: { siteVars: { work_dir: work } } })
  t.teardown(async () => {
    await stopLocalSimCluster(join(work, 'InjSigTimeCal', '.cluster'))
    rmSync(work, { recursive: true, force: true })
  })
  process.env.DEMO_STEP_SECONDS = '0.05'
  const demo = shipped('demo.json')
  const task = await f.createTask(demo as unknown as TestWorkflow, { runs: 1, simulate_anomaly: true })
  await f.engine.start(task.id)
  const paused = await f.waitForStatus(task.id, ['paused', 'failed', 'success'], 60_000)
  t.equal(paused.status, 'paused')
  t.match(paused.status_reason, /^stopped for review: wait: anomaly file Interval_run0\.png appeared in .*: the data needs a person's review — \[1112\] The day's data is abnormal/)
  await f.engine.cancel(task.id)
  await f.waitForStatus(task.id, ['cancelled', 'failed'], 60_000)
})
