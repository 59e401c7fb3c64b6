import t from 'tap'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import type { RunRequest, Transport } from '../../src/remote/transport.js'
import { batchAdapter, toolsIn } from '../../src/batch/registry.js'
import { runBatchCommand } from '../../src/batch/tool-output.js'
import { jobStatus, type BatchSystem } from '../../src/batch/types.js'

// The built commands run for real through bash against stand-in tools that print domain.md's outputs, under a
// login shell that prints noise (lines that look like answers) on both streams before and after the command.

const local = new LocalTransport()
const noisy: Transport = {
  host: 'noisy',
  run: (request: RunRequest) => local.run({ ...request, command: `echo '1 job(s) submitted to cluster 999.'
echo '999 0 2 undefined'; echo 'module: 999|COMPLETED|0:0' >&2
( ${request.command}
)
echo '999|COMPLETED|0:0'; echo "Job 999.0 removed."` }),
  killProcessGroup: (pgid, signal, startTime) => local.killProcessGroup(pgid, signal, startTime),
  fetchFile: (from, to, signal) => local.fetchFile(from, to, signal),
}
const signal = new AbortController().signal

let root: string
t.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'batch-tools-'))
})
t.teardown(() => rm(root, { recursive: true, force: true }))

/** A folder whose name needs quoting (and would run a command if it were not quoted), holding stand-in tools. */
async function site(system: BatchSystem, tools: Record<string, string>) {
  const folder = join(root, `${system} $(touch pwned) 'o'`)
  await mkdir(folder)
  for (const [name, body] of Object.entries(tools)) {
    const path = join(folder, name)
    await writeFile(path, `#!/bin/bash\nprintf '%s\\n' "$@" > "$(dirname "$0")/${name}.args"\n${body}\n`)
    await chmod(path, 0o755)
  }
  const argsOf = async (name: string) => (await readFile(join(folder, `${name}.args`), 'utf8')).split('\n').slice(0, -1)
  return { adapter: batchAdapter(system, { tools: toolsIn(system, folder), user: 'leizh' }), argsOf }
}

t.test('HTCondor: condor_q, condor_history and condor_rm through bash', async (t) => {
  const { adapter, argsOf } = await site('htcondor', {
    condor_q: `echo '123 0 2 undefined undefined undefined'; echo '123 1 5 undefined undefined via condor_hold (by user topup)'`,
    condor_history: `echo '124 0 4 1 undefined'`,
    condor_rm: `echo 'Job 123.0 marked for removal'; echo 'Job 123.1 not found' >&2; exit 1`,
  })
  const [queue] = adapter.queueCommands(['123.0', '123.1', '124.0'])
  t.same(adapter.parseQueue(queue!, await runBatchCommand(noisy, queue!, signal)), new Map([
    ['123.0', jobStatus('running')], ['123.1', jobStatus('held', { reason: 'via condor_hold (by user topup)' })],
  ]))
  t.same(await argsOf('condor_q'), ['123.0', '123.1', '124.0', '-af', 'ClusterId', 'ProcId', 'JobStatus', 'ExitCode', 'ExitSignal', 'HoldReason'])
  const [history] = adapter.historyCommands(['124.0'])
  t.same(adapter.parseHistory(history!, await runBatchCommand(noisy, history!, signal)),
    new Map([['124.0', jobStatus('failed', { exitCode: 1 })]]))
  t.same(await argsOf('condor_history'), ['-limit', '1', '124.0', '-af', 'ClusterId', 'ProcId', 'JobStatus', 'ExitCode', 'ExitSignal'])
  const [cancel] = adapter.controlCommands('cancel', ['123.0', '123.1'])
  t.same(adapter.parseControl(cancel!, await runBatchCommand(noisy, cancel!, signal)),
    { accepted: ['123.0'], refused: [{ id: '123.1', reason: 'Job 123.1 not found' }] })
  t.notOk(existsSync(join(process.cwd(), 'pwned')) || existsSync('pwned'), 'the folder name was never run')
})

t.test('HepJob: hep_q lists, with noise that looks like its rows', async (t) => {
  const { adapter, argsOf } = await site('hepjob', {
    hep_q: `cat <<'OUT'
JOBID           OWNER           SUBMITTED       RUN_TIME        ST PRI SIZE  CMD
60726917.0      leizh           01/13 20:24     0+02:04:08      R  0   732.0 xboss /scratchfs/bes/leizh/a.txt

1 jobs; 0 completed, 0 removed, 0 idle, 1 running, 0 held, 0 suspended
OUT`,
  })
  const [queue] = adapter.queueCommands(['60726917.0', '999.0'])
  t.same(adapter.parseQueue(queue!, await runBatchCommand(noisy, queue!, signal)),
    new Map([['60726917.0', jobStatus('running')]]), 'the noise line "999 0 2" is not a job')
  t.same(await argsOf('hep_q'), ['-u', 'leizh'])
})

t.test('Slurm: squeue that knows no id, sacct, scancel refusing on stderr with exit 0', async (t) => {
  const { adapter, argsOf } = await site('slurm', {
    squeue: `echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1`,
    sacct: `echo '7|CANCELLED by 1000|0:15'; printf '8|COMPLETED|0:0'`,
    scancel: `echo 'scancel: error: Kill job error on job id 8: Access/permission denied' >&2; exit 0`,
  })
  const [queue] = adapter.queueCommands(['7', '8'])
  t.same(adapter.parseQueue(queue!, await runBatchCommand(noisy, queue!, signal)), new Map())
  t.same(await argsOf('squeue'), ['-h', '-r', '-o', '%i|%T|%r', '-j', '7,8'])
  const [history] = adapter.historyCommands(['7', '8'])
  t.same(adapter.parseHistory(history!, await runBatchCommand(noisy, history!, signal)), new Map([
    ['7', jobStatus('removed')], ['8', jobStatus('completed', { exitCode: 0 })],
  ]), 'a last line without newline is read too; the noise "999|COMPLETED" is not')
  const [cancel] = adapter.controlCommands('cancel', ['7', '8'])
  t.same(adapter.parseControl(cancel!, await runBatchCommand(noisy, cancel!, signal)), {
    accepted: ['7'], refused: [{ id: '8', reason: 'scancel: error: Kill job error on job id 8: Access/permission denied' }],
  })
  t.same(await argsOf('scancel'), ['7', '8'])
})

t.test('a missing tool is a failed poll; output without the frame is a FramingError', async (t) => {
  const adapter = batchAdapter('slurm', { tools: toolsIn('slurm', join(root, 'nowhere')) })
  const [queue] = adapter.queueCommands(['1'])
  const output = await runBatchCommand(noisy, queue!, signal)
  t.equal(output.exitCode, 127)
  t.throws(() => adapter.parseQueue(queue!, output), { name: 'BatchError', message: /exit 127: .*No such file/ })
  const unframed: Transport = { ...noisy, run: (request) => local.run({ ...request, command: `echo '1|RUNNING|None'` }) }
  await t.rejects(runBatchCommand(unframed, queue!, signal), { name: 'FramingError', message: /^squeue of 1 jobs: / })
  const failing: Transport = { ...noisy, run: (request) => local.run({ ...request, command: 'exit 255' }) }
  await t.rejects(runBatchCommand(failing, queue!, signal), { name: 'BatchError', message: /exited with 255/ })
})
