import t from 'tap'
import { batchAdapter, toolsIn } from '../../src/batch/registry.js'
import { jobStatus } from '../../src/batch/types.js'
import { recorded } from './recorded-output.js'

// IHEP's HepJob: hep_q's listing as domain.md records it, and condor_submit's lines from hep_sub and boss.condor.
const hep = batchAdapter('hepjob', { tools: toolsIn('hepjob', '/cvmfs/common.ihep.ac.cn/software/hepjob/bin'), user: 'leizh' })

const header = 'JOBID           OWNER           SUBMITTED       RUN_TIME        ST PRI SIZE  CMD'
const row = (id: string, st: string) => `${id.padEnd(16)}leizh           01/13 20:24     0+02:04:08      ${st}  0   732.0 xboss /scratchfs/bes/leizh/a.txt`

t.test('hep_q: one command for every id, rows read by id, header and summary skipped', async (t) => {
  const commands = hep.queueCommands(['60726917.0', '60726917.1', '60726918.0', '60726919.0', '60726920.0'])
  t.equal(commands.length, 1)
  const [command] = commands
  t.match(command!.command, /^set -- \/cvmfs\/common\.ihep\.ac\.cn\/software\/hepjob\/bin\/hep_q -u leizh\n/)
  const output = recorded(command!, { stdout: [
    header, row('60726917.0', 'R'), row('60726917.1', 'I'), row('60726918.0', 'H'), row('60726919.0', 'C'),
    row('60726920.0', 'X'), row('50000000.0', 'R'), '',
    '6 jobs; 1 completed, 1 removed, 1 idle, 2 running, 1 held, 0 suspended',
  ] })
  t.same(hep.parseQueue(command!, output), new Map([
    ['60726917.0', jobStatus('running')], ['60726917.1', jobStatus('queued')], ['60726918.0', jobStatus('held')],
    ['60726920.0', jobStatus('removed')],
  ]), 'a completed job is left for the history, another user\'s job is ignored')
  t.same(hep.parseQueue(command!, recorded(command!, { stdout: [header, '', '0 jobs; 0 completed, 0 removed, 0 idle, 0 running, 0 held, 0 suspended'] })),
    new Map(), 'an empty queue')
  t.same(hep.queueCommands([]), [], 'nothing to ask')
})

t.test('hep_q failures and unreadable rows are errors', async (t) => {
  const [command] = hep.queueCommands(['1.0'])
  t.throws(() => hep.parseQueue(command!, recorded(command!, { stderr: ['ERROR: cannot reach schedd'], exitCode: 2 })),
    { name: 'BatchError', message: /exit 2: ERROR: cannot reach schedd/ })
  t.throws(() => hep.parseQueue(command!, recorded(command!, { stdout: [row('1.0', 'Q')] })), { name: 'BatchError' })
  t.throws(() => hep.parseQueue(command!, recorded(command!, { stdout: ['1.0 leizh R'] })), { name: 'BatchError' })
})

t.test('hep_sub and boss.condor print condor_submit lines; history and hep_rm read like HTCondor\'s', async (t) => {
  t.same(hep.parseSubmission(['1 job(s) submitted to cluster 52032427.', 'Total = 1 files', 'DONE']), ['52032427.0'])
  const [history] = hep.historyCommands(['52032427.0'])
  t.match(history!.command, /condor_history -limit 1 52032427\.0 -af ClusterId ProcId JobStatus ExitCode ExitSignal\n/)
  t.same(hep.parseHistory(history!, recorded(history!, { stdout: ['52032427 0 4 1 undefined'] })),
    new Map([['52032427.0', jobStatus('failed', { exitCode: 1 })]]))
  const [cancel] = hep.controlCommands('cancel', ['52032427.0'])
  t.match(cancel!.command, /hep_rm 52032427\.0\n/)
  t.same(hep.parseControl(cancel!, recorded(cancel!, { stdout: ['Job 52032427.0 marked for removal'] })),
    { accepted: ['52032427.0'], refused: [] })
})

t.test('hepjob needs a user name that is a name', async (t) => {
  const tools = toolsIn('hepjob', '/bin')
  t.throws(() => batchAdapter('hepjob', { tools }), /needs the user/)
  t.throws(() => batchAdapter('hepjob', { tools, user: 'x; rm -rf ~' }), /no user name/)
})
