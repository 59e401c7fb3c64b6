import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { shellQuote } from '../../src/shell-quote.js'
import { startServerProcess } from '../helpers/server-process.js'
import { startSlurmSite } from '../helpers/slurm-site.js'
import { startSshSite } from '../helpers/ssh-site.js'
import { runCollect, siteProvider } from '../remote/site-provider.js'
import { engineFixture, type EngineFixture, type TestWorkflow } from './fixture.js'

// The engine's cluster jobs on a real Slurm cluster, reached through the jump under the target's login noise:
// batch_submit (sbatch under a tag), the shared poller (squeue, then sacct through slurmdbd), cancel (scancel,
// confirmed by squeue), pause (scontrol hold) and resume (scontrol release), at most one submission.

const ssh = await startSshSite(t)
const slurm = await startSlurmSite(t, ssh)
const { provider } = siteProvider(t, ssh)
let scripts = 0

/** A job script in the Slurm work folder on the target; its body runs once `go` exists (at most a minute). */
async function jobFile(body: string, go?: string): Promise<string> {
  const file = `${slurm.workDir}/job-${process.pid}-${++scripts}.sh`
  const wait = go ? `for i in $(seq 600); do [ -e ${go} ] && break; sleep 0.1; done\n` : ''
  const text = `#!/bin/bash\n#SBATCH -o ${slurm.workDir}/%j.out\n${wait}${body}\n`
  const made = await runCollect(provider, 'target', `printf '%s' ${shellQuote(text)} > ${file} && chmod 755 ${file}`)
  if (made.exitCode !== 0) throw new Error(made.stderr.join('\n'))
  return file
}

/** Every job slurmctld holds (finished ones too, for MinJobAge), one line each. */
const controllerJobs = () => slurm.client('scontrol', ['show', 'jobs', '-o']).split('\n').filter((l) => l.startsWith('JobId='))
const goFile = () => `${slurm.workDir}/go-${process.pid}-${++scripts}`
const release = (go: string) => runCollect(provider, 'target', `touch ${go}`)

function workflow(file: string, wait: Record<string, unknown> = {}): TestWorkflow {
  return {
    vars: { bin: slurm.toolsDir, file, dir: slurm.workDir },
    steps: [
      { id: 'submit', display_name: 'submit', type: 'batch_submit', host: 'target',
        inputs: { system: 'slurm', tools: '{{ vars.bin }}', file: '{{ vars.file }}', cwd: '{{ vars.dir }}' } },
      { id: 'wait', display_name: 'wait', type: 'wait_for_jobs', inputs: { jobs: 'submit', max_wait_minutes: 5, ...wait } },
    ],
  }
}

const fixture = (t: Parameters<typeof engineFixture>[0]) => engineFixture(t, { transports: provider })
const jobRows = (f: EngineFixture, taskId: number) =>
  f.db.selectFrom('remote_jobs').selectAll().where('task_id', '=', taskId).orderBy('id').execute()

t.test('submit → watch → completed, by the word of sacct', async (t) => {
  const f = fixture(t)
  const task = await f.createTask(workflow(await jobFile('echo hello from $SLURM_JOB_NAME')))
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.equal(done.status, 'success', String(done.status_reason))
  const [job] = await jobRows(f, task.id)
  t.match(job, { system: 'slurm', host: 'target', state: 'completed', exit_code: 0, step_name: 'submit' })
  const out = await runCollect(provider, 'target', `cat ${slurm.workDir}/${job!.job_id}.out`)
  t.match(out.stdout.join('\n'), new RegExp(`hello from topup-[0-9a-f]{8}-t${task.id}-e\\d+`), 'the job carries the tag of its database, task and attempt')
  t.same(slurm.queuedJobs(), [])
})

t.test('a failing job fails the wait at once with its exit code', async (t) => {
  const f = fixture(t)
  const task = await f.createTask(workflow(await jobFile('exit 3')))
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['failed', 'success', 'paused'], 60_000)
  t.equal(done.status, 'failed')
  const [job] = await jobRows(f, task.id)
  t.match(done.error_message, new RegExp(`job ${job!.job_id} failed with exit code 3`))
})

t.test('cancel: scancel, then squeue confirms that nothing is left', async (t) => {
  const f = fixture(t)
  const go = goFile()
  const task = await f.createTask(workflow(await jobFile('exit 0', go)))
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'job.state' && e.data.state === 'running', 60_000)
  t.equal(slurm.queuedJobs().length, 1)
  await f.engine.cancel(task.id)
  const done = await f.waitForStatus(task.id, 'cancelled', 60_000)
  t.equal(done.status_reason, null)
  t.same(slurm.queuedJobs(), [], 'squeue shows 0 jobs left')
  t.match(await jobRows(f, task.id), [{ state: 'removed' }])
})

t.test('pause holds a pending job (JobHeldUser), resume releases it and it runs', async (t) => {
  const f = fixture(t)
  // a job that takes both CPUs keeps the task's job pending
  const blockerGo = goFile()
  const blocker = await jobFile('exit 0', blockerGo)
  const submitted = await runCollect(provider, 'target', `${slurm.toolsDir}/sbatch --parsable -c 2 ${blocker}`)
  t.equal(submitted.exitCode, 0, submitted.stderr.join('\n'))
  const task = await f.createTask(workflow(await jobFile('exit 0')))
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'step.started' && e.data.step_id === 'wait', 60_000)
  await f.engine.pause(task.id)
  await f.waitForStatus(task.id, 'paused')
  await f.waitForEvent(task.id, (e) => e.type === 'log' && /held 1 queued cluster job\(s\)/.test(e.data.message), 30_000)
  const [job] = await jobRows(f, task.id)
  const squeue = slurm.client('squeue', ['-h', '-o', '%i|%T|%r', '-j', job!.job_id]).trim()
  t.equal(squeue, `${job!.job_id}|PENDING|JobHeldUser`)

  await f.engine.resume(task.id)
  const squeueAfter = slurm.client('squeue', ['-h', '-o', '%i|%r', '-j', job!.job_id]).trim()
  t.not(squeueAfter, `${job!.job_id}|JobHeldUser`, 'released before the task runs again')
  await release(blockerGo)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.equal(done.status, 'success', String(done.status_reason))
})

t.test('an attempt that recorded its tag and then crashed finds its job instead of submitting again', async (t) => {
  const f = fixture(t)
  const go = goFile()
  const file = await jobFile('exit 0', go)
  const task = await f.createTask(workflow(file))
  // the crash: the attempt had recorded its tag and submitted, but died before it recorded the job
  const tag = `topup-crashed${process.pid}-t${task.id}-e900`
  const submitted = await runCollect(provider, 'target', `${slurm.toolsDir}/sbatch --parsable --job-name=${tag} -D ${slurm.workDir} ${file}`)
  const id = submitted.stdout.at(-1)!.trim()
  await f.db.updateTable('tasks').set({ status: 'running', resume_from_step: 'submit' }).where('id', '=', task.id).execute()
  await f.db.insertInto('task_executions').values({
    task_id: task.id, step_name: 'submit', step_display_name: 'submit', step_type: 'batch_submit', step_order: 0,
    status: 'running', remote_handle: JSON.stringify({ tag }),
  }).execute()
  const report = await f.engine.recover()
  t.same(report.requeued, [task.id], 'the submission can continue: it looks for its tag')
  await f.waitForEvent(task.id, (e) => e.type === 'log' && /were submitted under tag .* not submitting again/.test(e.data.message), 60_000)
  await release(go)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'], 60_000)
  t.equal(done.status, 'success', String(done.status_reason))
  t.same((await jobRows(f, task.id)).map((r) => r.job_id), [id], 'the one job submitted before the crash, and no other')
  const named = controllerJobs().filter((line) => line.includes(` JobName=${tag} `))
  t.equal(named.length, 1, 'the cluster got one submission under the tag')
  for (let i = 0; i < 100 && slurm.queuedJobs().length > 0; i++) await delay(100)
})

t.test('the service SIGKILLed mid-wait: the next one re-attaches to the Slurm job, no second submission', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-slurm-restart-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const go = goFile()
  const file = await jobFile('exit 0', go)
  const workflows = join(dir, 'workflows')
  mkdirSync(workflows)
  writeFileSync(join(workflows, 'slurm.json'), JSON.stringify({ name: 'slurm_restart', display_name: 'slurm', version: '1', ...workflow(file) }))
  const env = {
    ...ssh.env, WORKFLOWS_DIR: workflows, HOSTS_FILE: ssh.writeHostsFile(), KNOWN_HOSTS_FILE: ssh.writeKnownHosts(),
    KNOWN_HOSTS_POLICY: 'strict', JOB_POLL_MIN_SECONDS: '0.2', JOB_POLL_MAX_SECONDS: '0.5',
  }
  const first = await startServerProcess(t, dir, env)
  const created = await first.api<{ id: number }>('POST', '/api/tasks', { workflow_name: 'slurm_restart', task_name: 'k', parameters: {}, start: true })
  const id = created.body.id
  let jobs: Array<{ job_id: string; state: string }> = []
  for (let i = 0; i < 600 && jobs[0]?.state !== 'running'; i++) {
    jobs = (await first.api<{ items: typeof jobs }>('GET', `/api/tasks/${id}/jobs`)).body.items
    await delay(50)
  }
  t.equal(jobs[0]?.state, 'running')
  first.child.kill('SIGKILL')
  await first.exited

  const second = await startServerProcess(t, dir, env)
  await release(go)
  const done = await second.waitForStatus(id, ['success', 'failed', 'paused'], 60_000)
  t.equal(done.status, 'success', String(done.status_reason))
  const after = (await second.api<{ items: typeof jobs }>('GET', `/api/tasks/${id}/jobs`)).body.items
  t.same(after.map((j) => [j.job_id, j.state]), [[jobs[0]!.job_id, 'completed']])
  const mine = controllerJobs().find((line) => line.startsWith(`JobId=${jobs[0]!.job_id} `))
  const tag = / JobName=(\S+) /.exec(mine ?? '')?.[1]
  t.match(tag, new RegExp(`^topup-[0-9a-f]{8}-t${id}-e\\d+$`))
  t.equal(controllerJobs().filter((line) => line.includes(` JobName=${tag} `)).length, 1,
    'slurmctld knows one job with the task\'s tag: one submission in all')
})
