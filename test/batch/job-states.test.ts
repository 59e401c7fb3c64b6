import t from 'tap'
import { jobStates } from '../../src/domain.js'
import { condorQueueStatus } from '../../src/batch/condor-output.js'
import { hepStatus } from '../../src/batch/hepjob.js'
import { missingJobState } from '../../src/batch/missing-job.js'
import { slurmAccountingStatus, slurmActiveStatus } from '../../src/batch/slurm-states.js'
import { exitedStatus, type JobStatus } from '../../src/batch/types.js'

// Every system's native states onto the one vocabulary; null = ended, its exit code is in the history.
const stateOf = (status: JobStatus | null) => status?.state ?? null

t.test('the vocabulary', async (t) => {
  t.same(jobStates, ['queued', 'running', 'held', 'suspended', 'completed', 'failed', 'removed', 'lost'])
})

t.test('HTCondor JobStatus 1-7', async (t) => {
  const table = { 1: 'queued', 2: 'running', 3: 'removed', 4: null, 5: 'held', 6: 'running', 7: 'suspended' }
  for (const [code, state] of Object.entries(table)) t.equal(stateOf(condorQueueStatus(code, null)), state, `JobStatus ${code}`)
  t.same(condorQueueStatus('5', 'disk quota'), { state: 'held', reason: 'disk quota', exitCode: null, signal: null })
  t.throws(() => condorQueueStatus('8', null), { name: 'BatchError' })
})

t.test('hep_q ST letters', async (t) => {
  const table = { I: 'queued', R: 'running', '<': 'running', '>': 'running', H: 'held', S: 'suspended', X: 'removed', C: null }
  for (const [letter, state] of Object.entries(table)) t.equal(stateOf(hepStatus(letter)), state, `ST ${letter}`)
  t.throws(() => hepStatus('Q'), { name: 'BatchError' })
})

t.test('Slurm states in the queue', async (t) => {
  const table = {
    PENDING: 'queued', REQUEUED: 'queued', RUNNING: 'running', COMPLETING: 'running', SUSPENDED: 'suspended',
    REQUEUE_HOLD: 'held', COMPLETED: null, FAILED: null, CANCELLED: null, TIMEOUT: null, NODE_FAIL: null,
    OUT_OF_MEMORY: null, PREEMPTED: null, BOOT_FAIL: null, DEADLINE: null,
  }
  for (const [name, state] of Object.entries(table)) t.equal(stateOf(slurmActiveStatus(name, null)), state, name)
  t.same(slurmActiveStatus('PENDING', 'JobHeldUser'), { state: 'held', reason: 'JobHeldUser', exitCode: null, signal: null })
  t.equal(stateOf(slurmActiveStatus('PENDING', 'Resources')), 'queued')
  t.throws(() => slurmActiveStatus('WAITING', null), { name: 'BatchError' })
})

t.test('Slurm states in accounting, with code:signal', async (t) => {
  const table: Array<[string, string, JobStatus['state'], number | null, number | null]> = [
    ['COMPLETED', '0:0', 'completed', 0, null], ['COMPLETED', '1:0', 'failed', 1, null],
    ['FAILED', '127:0', 'failed', 127, null], ['CANCELLED by 1000', '0:15', 'removed', null, null],
    ['TIMEOUT', '0:1', 'failed', 0, 1], ['NODE_FAIL', '0:0', 'failed', 0, null], ['OUT_OF_MEMORY', '0:125', 'failed', 0, 125],
    ['PREEMPTED', '0:0', 'failed', 0, null], ['BOOT_FAIL', '0:0', 'failed', 0, null], ['DEADLINE', '0:0', 'failed', 0, null],
    ['RUNNING', '0:0', 'running', null, null], ['PENDING', '0:0', 'queued', null, null],
  ]
  for (const [state, exit, expected, exitCode, signal] of table) {
    const status = slurmAccountingStatus(state, exit)
    t.same([status.state, status.exitCode, status.signal], [expected, exitCode, signal], `${state} ${exit}`)
  }
})

t.test('an exit is completed only with code 0 and no signal', async (t) => {
  t.equal(exitedStatus(0, null).state, 'completed')
  t.equal(exitedStatus(1, null).state, 'failed')
  t.equal(exitedStatus(null, 9).state, 'failed')
  t.equal(exitedStatus(null, null).state, 'failed', 'an end without an exit code is no success')
})

t.test('a job missing from queue and history is lost only after the lag window', async (t) => {
  const submitted = new Date('2026-01-13T20:24:00Z')
  const at = (seconds: number) => new Date(submitted.getTime() + seconds * 1000)
  t.equal(missingJobState(submitted, at(10), 120_000), null, 'shortly after submission: no verdict, still queued')
  t.equal(missingJobState(submitted, at(119), 120_000), null)
  t.equal(missingJobState(submitted, at(120), 120_000), 'lost')
})
