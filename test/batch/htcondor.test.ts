import t from 'tap'
import { htcondorAdapter } from '../../src/batch/htcondor.js'
import { toolsIn } from '../../src/batch/registry.js'
import { jobStatus } from '../../src/batch/types.js'
import { noise, recorded } from './recorded-output.js'

// HTCondor's outputs as domain.md records them, read through a frame with login noise all around.
const condor = htcondorAdapter(toolsIn('htcondor', '/opt/condor/bin'))

t.test('submission lines name every proc of the cluster; framed noise is not a submission', async (t) => {
  const [command] = condor.queueCommands(['1.0'])
  const output = recorded(command!, { stdout: ['Submitting job(s)...', '3 job(s) submitted to cluster 123.'] })
  t.same(condor.parseSubmission(output.stdout), ['123.0', '123.1', '123.2'])
  t.same(condor.parseSubmission(['1 job(s) submitted to cluster 13']), ['13.0'], 'hep_sub prints no final dot')
  t.same(condor.parseSubmission(['123.0 - 123.1']), ['123.0', '123.1'], 'condor_submit -terse')
  t.same(condor.parseSubmission(['Submitting job(s).', 'WARNING: something']), [])
  t.ok(noise.some((line) => condor.parseSubmission([line]).length > 0), 'the noise would be taken if it were not framed')
})

t.test('condor_q -af: states of the asked ids, multi-proc clusters, hold reasons', async (t) => {
  const [command] = condor.queueCommands(['123.0', '123.1', '123.2', '124.0', '125.0', '125.1', '126.0'])
  const u = 'undefined'
  const output = recorded(command!, { stdout: [
    `123 0 2 ${u} ${u} ${u}`, `123 1 1 ${u} ${u} ${u}`, `123 2 5 ${u} ${u} via condor_hold (by user topup)`,
    `124 0 7 ${u} ${u} ${u}`, `125 0 4 0 ${u} ${u}`, `125 1 4 ${u} 11 ${u}`, `126 0 6 ${u} ${u} ${u}`,
    `200 0 2 ${u} ${u} ${u}`,
  ] })
  t.same(condor.parseQueue(command!, output), new Map([
    ['123.0', jobStatus('running')], ['123.1', jobStatus('queued')],
    ['123.2', jobStatus('held', { reason: 'via condor_hold (by user topup)' })],
    ['124.0', jobStatus('suspended')], ['125.0', jobStatus('completed', { exitCode: 0 })],
    ['125.1', jobStatus('failed', { signal: 11 })], ['126.0', jobStatus('running')],
  ]), 'a completed job left in the queue has its exit; a job not asked about is ignored')
  t.same(condor.parseQueue(command!, recorded(command!, {})), new Map(), 'an empty queue')
})

t.test('a condor_q that fails, or prints what is no queue line, is an error, not a state', async (t) => {
  const [command] = condor.queueCommands(['123.0'])
  t.throws(() => condor.parseQueue(command!, recorded(command!, { stderr: ['Failed to connect to schedd'], exitCode: 1 })),
    { name: 'BatchError', message: /Failed to connect to schedd/ })
  t.throws(() => condor.parseQueue(command!, recorded(command!, { stdout: ['-- Schedd: sched01'] })), { name: 'BatchError' })
  t.throws(() => condor.parseQueue(command!, recorded(command!, { stdout: ['123 0 2'] })), { name: 'BatchError' })
  t.throws(() => condor.parseQueue(command!, recorded(command!, { stdout: ['123 0 9 undefined undefined undefined'] })), { name: 'BatchError' })
})

t.test('condor_history: exit codes, signals, removals', async (t) => {
  const [command] = condor.historyCommands(['123.0', '123.1', '123.2', '123.3'])
  const output = recorded(command!, { stdout: [
    '123 0 4 0 undefined', '123 1 4 3 undefined', '123 2 4 undefined 9', '123 3 3 undefined undefined',
  ] })
  t.same(condor.parseHistory(command!, output), new Map([
    ['123.0', jobStatus('completed', { exitCode: 0 })], ['123.1', jobStatus('failed', { exitCode: 3 })],
    ['123.2', jobStatus('failed', { signal: 9 })], ['123.3', jobStatus('removed')],
  ]))
  const [short] = condor.historyCommands(['123.0'])
  t.same(condor.parseHistory(short!, recorded(short!, { stdout: ['123 0 4 0'] })),
    new Map([['123.0', jobStatus('completed', { exitCode: 0 })]]), 'the four columns domain.md shows')
})

t.test('condor_rm: confirmed ids are accepted, the others refused with the line naming them', async (t) => {
  const [command] = condor.controlCommands('cancel', ['132.0', '132.1', '133.0', '13.0'])
  const output = recorded(command!, {
    stdout: ['Job 132.0 removed.', 'Job 132.1 marked for removal'],
    stderr: ['Job 133.0 not found', "Couldn't find/remove all jobs matching constraint"], exitCode: 1,
  })
  t.same(condor.parseControl(command!, output), {
    accepted: ['132.0', '132.1'],
    refused: [{ id: '133.0', reason: 'Job 133.0 not found' },
      { id: '13.0', reason: "not confirmed (exit 1: Couldn't find/remove all jobs matching constraint)" }],
  })
  const [hold] = condor.controlCommands('hold', ['132.0'])
  t.same(condor.parseControl(hold!, recorded(hold!, { stdout: ['Job 132.0 held.'] })), { accepted: ['132.0'], refused: [] })
  const [release] = condor.controlCommands('release', ['132.0'])
  t.same(condor.parseControl(release!, recorded(release!, { stdout: ['Job 132.0 held.'] })).refused.map((r) => r.id),
    ['132.0'], 'a release is confirmed only by "released"')
})
