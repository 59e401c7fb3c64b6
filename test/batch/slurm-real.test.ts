import t from 'tap'
import { readFileSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { startSlurmSite } from '../helpers/slurm-site.js'
import { startSshSite } from '../helpers/ssh-site.js'
import { runCollect, siteProvider } from '../remote/site-provider.js'
import { batchAdapter, toolsIn } from '../../src/batch/registry.js'
import { runBatchCommand, toolCommand } from '../../src/batch/tool-output.js'
import { jobStatus, type ControlAction, type JobStatus } from '../../src/batch/types.js'

// A real Slurm cluster in the SSH test site's namespace, driven through the jump as the service drives it:
// the adapter's commands, framed, under the target's login noise (which prints "1 job(s) submitted to cluster
// 123." and framed-looking lines on every channel); ends read from sacct through slurmdbd.
const ssh = await startSshSite(t)
const slurm = await startSlurmSite(t, ssh)
t.comment(`Slurm (munged, MariaDB, slurmdbd, slurmctld, slurmd) up in ${slurm.startMs} ms`)
const { provider } = siteProvider(t, ssh)
const target = provider.transportFor('target')
const adapter = batchAdapter('slurm', { tools: toolsIn('slurm', slurm.toolsDir) })
const run = (command: Parameters<typeof runBatchCommand>[1]) => runBatchCommand(target, command, AbortSignal.timeout(30_000))
const uniq = String(100000 + Math.floor(Math.random() * 800000))

/** A job script that runs once the file `name` exists in the work dir (bounded: it gives up after a minute). */
const after = (name: string, then: string) =>
  `for i in $(seq 600); do [ -e ${name} ] && { ${then}; }; sleep 0.1; done; exit 99`
const release = (name: string) => runCollect(provider, 'target', `touch ${slurm.workDir}/${name}`)

async function submit(script: string, options: string[] = []): Promise<string> {
  const command = toolCommand('sbatch', `${slurm.toolsDir}/sbatch`,
    ['--parsable', '-D', slurm.workDir, '-o', `${slurm.workDir}/%j.out`, ...options, '--wrap', script], [])
  const output = await run(command)
  const ids = adapter.parseSubmission(output.stdout)
  if (ids.length !== 1) throw new Error(`sbatch printed ${JSON.stringify(output)}`)
  return ids[0]!
}

async function fromQueue(ids: string[]): Promise<Map<string, JobStatus>> {
  const found = new Map<string, JobStatus>()
  for (const command of adapter.queueCommands(ids)) for (const entry of adapter.parseQueue(command, await run(command))) found.set(...entry)
  return found
}

async function fromHistory(ids: string[]): Promise<Map<string, JobStatus>> {
  const found = new Map<string, JobStatus>()
  for (const command of adapter.historyCommands(ids)) for (const entry of adapter.parseHistory(command, await run(command))) found.set(...entry)
  return found
}

/** As the poller reads them: the queue first, the history for the ids the queue no longer holds. */
async function statuses(ids: string[]): Promise<Map<string, JobStatus>> {
  const queued = await fromQueue(ids)
  const missing = ids.filter((id) => !queued.has(id))
  return new Map([...queued, ...(missing.length > 0 ? await fromHistory(missing) : [])])
}

/** Polls until every id's status passes `wanted` (bounded); returns the statuses seen first and last. */
async function until(ids: string[], what: string, wanted: (s: JobStatus) => boolean) {
  let first: Map<string, JobStatus> | undefined
  let last = new Map<string, JobStatus>()
  for (let poll = 0; poll < 300; poll++) {
    last = await statuses(ids)
    first ??= last
    if (ids.every((id) => last.has(id) && wanted(last.get(id)!))) return { first, last }
    await delay(100)
  }
  throw new Error(`jobs ${ids.join(',')}: not ${what} after 300 polls: ${JSON.stringify([...last])}\n${slurm.logs()}`)
}
const ended = (s: JobStatus) => ['completed', 'failed', 'removed'].includes(s.state)

async function control(action: ControlAction, ids: string[]) {
  const [command, ...more] = adapter.controlCommands(action, ids)
  if (!command || more.length > 0) throw new Error(`${action} of ${ids.length} ids is not one command`)
  return adapter.parseControl(command, await run(command))
}

t.test('a job is queued or running, then completed with exit code 0 from the accounting', async (t) => {
  const id = await submit(after(`go-${uniq}-1`, 'echo "ran as $(id -un)"; exit 0'))
  const { first } = await until([id], 'running', (s) => s.state === 'running')
  t.match(first.get(id)?.state, /^(queued|running)$/, 'seen as it waits or runs, never as finished')
  await release(`go-${uniq}-1`)
  await until([id], 'ended', ended)
  t.same(await fromQueue([id]), new Map(), 'the queue no longer lists it')
  t.same(await fromHistory([id]), new Map([[id, jobStatus('completed', { exitCode: 0 })]]), 'sacct has its end')
  t.equal(readFileSync(`${slurm.workDir}/${id}.out`, 'utf8'), `ran as ${slurm.user}\n`, 'it ran as the target user')
})

t.test('failed jobs: an exit code and a signal, read for both in one sacct', async (t) => {
  const exit3 = await submit('echo failing; exit 3')
  const killed = await submit('kill -9 $$')
  const { last } = await until([exit3, killed], 'ended', ended)
  t.same(last, new Map([[exit3, jobStatus('failed', { exitCode: 3 })], [killed, jobStatus('failed', { exitCode: 0, signal: 9 })]]))
  t.same(adapter.historyCommands([exit3, killed]).length, 1)
})

t.test('a cancelled job leaves nothing in the queue or on the node, and its history says removed', async (t) => {
  const id = await submit(`sleep ${uniq}`)
  await until([id], 'running', (s) => s.state === 'running')
  t.ok(ssh.targetProcesses(`sleep ${uniq}`).length > 0, 'the job runs on the target as the target user')
  t.same(await control('cancel', [id]), { accepted: [id], refused: [] })
  const { last } = await until([id], 'removed', ended)
  t.same(last, new Map([[id, jobStatus('removed')]]), 'sacct: CANCELLED by the target user')
  t.same(await fromQueue([id]), new Map(), 'squeue lists nothing')
  t.same(slurm.queuedJobs(), [], 'nothing is left in the queue')
  for (let poll = 0; poll < 300 && ssh.targetProcesses(`sleep ${uniq}`).length > 0; poll++) await delay(20)
  t.same(ssh.targetProcesses(`sleep ${uniq}`), [], 'its process is gone')
})

t.test('hold of a pending job: PENDING with reason JobHeldUser; it runs only once released', async (t) => {
  const finished = await submit('true')
  await until([finished], 'ended', ended)
  // a job taking both CPUs keeps the next one pending
  const blocker = await submit(after(`go-${uniq}-2`, 'exit 0'), ['-c', '2'])
  await until([blocker], 'running', (s) => s.state === 'running')
  const id = await submit('echo released')
  await until([id], 'queued', (s) => s.state === 'queued')

  t.same(await control('hold', [finished, id]), {
    accepted: [id], refused: [{ id: finished, reason: `Job has already finished for job ${finished}` }],
  }, 'a finished job is refused, the pending one held')
  const [queue] = adapter.queueCommands([id])
  const output = await run(queue!)
  t.same(output.stdout, [`${id}|PENDING|JobHeldUser`], 'squeue shows it PENDING, held by its user')
  t.same(adapter.parseQueue(queue!, output), new Map([[id, jobStatus('held', { reason: 'JobHeldUser' })]]))

  await release(`go-${uniq}-2`)
  await until([blocker], 'ended', ended)
  t.same(await statuses([id]), new Map([[id, jobStatus('held', { reason: 'JobHeldUser' })]]),
    'still held with the node free')
  t.same(await control('release', [id]), { accepted: [id], refused: [] })
  const { last } = await until([id], 'ended', ended)
  t.same(last, new Map([[id, jobStatus('completed', { exitCode: 0 })]]))
  t.equal(readFileSync(`${slurm.workDir}/${id}.out`, 'utf8'), 'released\n')
})

t.test('nothing is left in the queue', async (t) => {
  t.same(slurm.queuedJobs(), [])
})
