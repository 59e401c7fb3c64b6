import t from 'tap'
import { batchAdapter, toolsIn } from '../../src/batch/registry.js'
import { jobStatus } from '../../src/batch/types.js'
import { recorded } from './recorded-output.js'

// Slurm's outputs as domain.md records them, read through a frame with login noise all around.
const slurm = batchAdapter('slurm', { tools: toolsIn('slurm', '/usr/bin') })

t.test('sbatch --parsable: the id, with or without the cluster', async (t) => {
  t.same(slurm.parseSubmission(['123']), ['123'])
  t.same(slurm.parseSubmission(['124;cluster']), ['124'])
  t.same(slurm.parseSubmission(['sbatch: warning: something', '']), [])
})

t.test('squeue: states of the asked ids, a held job, an empty queue, ids it no longer knows', async (t) => {
  const [command] = slurm.queueCommands(['1', '2', '3', '4', '5', '6_1'])
  t.match(command!.command, /^set -- \/usr\/bin\/squeue -h -r -o '%i\|%T\|%r' -j 1,2,3,4,5,6_1\n/)
  const output = recorded(command!, { stdout: [
    '1|PENDING|Priority', '2|RUNNING|None', '3|PENDING|JobHeldUser', '4|SUSPENDED|None', '5|COMPLETING|None',
    '6_1|REQUEUE_HOLD|JobHeldAdmin', '7|RUNNING|None',
  ] })
  t.same(slurm.parseQueue(command!, output), new Map([
    ['1', jobStatus('queued')], ['2', jobStatus('running')], ['3', jobStatus('held', { reason: 'JobHeldUser' })],
    ['4', jobStatus('suspended')], ['5', jobStatus('running')], ['6_1', jobStatus('held', { reason: 'JobHeldAdmin' })],
  ]))
  t.same(slurm.parseQueue(command!, recorded(command!, {})), new Map(), 'empty with exit 0 once finished')
  t.same(slurm.parseQueue(command!, recorded(command!, { stderr: ['slurm_load_jobs error: Invalid job id specified'], exitCode: 1 })),
    new Map(), 'exit 1 "Invalid job id specified": none of them is in the queue')
  t.same(slurm.parseQueue(command!, recorded(command!, {
    stdout: ['2|RUNNING|None'], stderr: ['slurm_load_jobs error: Invalid job id specified'], exitCode: 1,
  })), new Map([['2', jobStatus('running')]]), 'the ids it knows are still read')
  t.throws(() => slurm.parseQueue(command!, recorded(command!, {
    stderr: ['squeue: error: Unable to contact slurm controller (connect failure)'], exitCode: 1,
  })), { name: 'BatchError', message: /Unable to contact slurm controller/ })
  t.throws(() => slurm.parseQueue(command!, recorded(command!, { stdout: ['1 PENDING'] })), { name: 'BatchError' })
})

t.test('sacct: exit codes, signals, "CANCELLED by 1000", the last line of a requeued job', async (t) => {
  const [command] = slurm.historyCommands(['1', '2', '3', '4', '5', '6'])
  t.match(command!.command, /sacct -n -P -X -o JobID,State,ExitCode -j 1,2,3,4,5,6\n/)
  const output = recorded(command!, { stdout: [
    '1|COMPLETED|0:0', '2|FAILED|2:0', '3|CANCELLED by 1000|0:15', '4|TIMEOUT|0:15', '5|OUT_OF_MEMORY|0:125',
    '6|NODE_FAIL|1:0', '6|COMPLETED|0:0',
  ] })
  t.same(slurm.parseHistory(command!, output), new Map([
    ['1', jobStatus('completed', { exitCode: 0 })], ['2', jobStatus('failed', { exitCode: 2 })], ['3', jobStatus('removed')],
    ['4', jobStatus('failed', { exitCode: 0, signal: 15 })], ['5', jobStatus('failed', { exitCode: 0, signal: 125 })],
    ['6', jobStatus('completed', { exitCode: 0 })],
  ]))
  t.throws(() => slurm.parseHistory(command!, recorded(command!, { stdout: ['1|COMPLETED|zero'] })), { name: 'BatchError' })
})

t.test('scancel is silent: refusals come from stderr, even with exit 0', async (t) => {
  const [command] = slurm.controlCommands('cancel', ['10', '11', '12'])
  t.match(command!.command, /^set -- \/usr\/bin\/scancel 10 11 12\n/)
  t.same(slurm.parseControl(command!, recorded(command!, {})), { accepted: ['10', '11', '12'], refused: [] })
  t.same(slurm.parseControl(command!, recorded(command!, {
    stderr: ['scancel: error: Kill job error on job id 11: Access/permission denied'],
  })), { accepted: ['10', '12'], refused: [{ id: '11', reason: 'scancel: error: Kill job error on job id 11: Access/permission denied' }] })
  t.same(slurm.parseControl(command!, recorded(command!, { stderr: ['scancel: error: Unable to contact slurm controller'], exitCode: 1 })).accepted,
    [], 'a complaint naming no id refuses them all')
  t.same(slurm.parseControl(command!, recorded(command!, { exitCode: 1 })).refused[0], { id: '10', reason: 'exit 1' })
})

t.test('scontrol hold and release take one comma list', async (t) => {
  const [hold] = slurm.controlCommands('hold', ['10', '11'])
  t.match(hold!.command, /^set -- \/usr\/bin\/scontrol hold 10,11\n/)
  const [release] = slurm.controlCommands('release', ['10'])
  t.match(release!.command, /^set -- \/usr\/bin\/scontrol release 10\n/)
  t.same(slurm.parseControl(hold!, recorded(hold!, { stderr: ['Job 110 not found', 'slurm_suspend error for 10: Invalid job id specified'] })),
    { accepted: [], refused: [
      { id: '10', reason: 'slurm_suspend error for 10: Invalid job id specified' },
      { id: '11', reason: 'Job 110 not found' },
    ] }, '110 is not 11; a line naming another id still refuses the rest')
  t.same(slurm.parseControl(hold!, recorded(hold!, {
    stderr: ['Job has already finished for job 10', 'slurm_suspend error: No error'], exitCode: 1,
  })), { accepted: ['11'], refused: [{ id: '10', reason: 'Job has already finished for job 10' }] },
  'scontrol 22.05: its exit 1 and closing line sum up the lines naming ids')
  t.same(slurm.parseControl(hold!, recorded(hold!, {
    stderr: ['slurm_suspend error: Unable to contact slurm controller (connect failure)'], exitCode: 1,
  })).accepted, [], 'the closing line alone refuses them all')
  const [query] = slurm.queueCommands(['10'])
  t.throws(() => slurm.parseControl(query!, recorded(query!, {})), /is no cancel, hold or release/)
})
