import t from 'tap'
import { writeFileSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import type { TaskEvent } from '../../src/domain.js'
import { installSimCluster, type SimCluster, type SimSettings } from '../helpers/sim-cluster.js'
import { engineFixture, type EngineFixture, type TestWorkflow } from './fixture.js'

// Cluster jobs through the engine, on the stand-in HepJob cluster of this machine (scripts/demo/cluster): an
// exec step's output reveals the jobs, one poller watches them, and the task's lifecycle acts on them.

type JobEvent = Extract<TaskEvent, { type: 'job.state' }>

/** A job script in the cluster's work folder: sleeps $1 seconds, exits $2. */
function jobScript(cluster: SimCluster): string {
  const file = join(cluster.workDir, 'job.sh')
  writeFileSync(file, '#!/bin/bash\nsleep "${1:-0}"\nexit "${2:-0}"\n')
  chmodSync(file, 0o755)
  return file
}

/** Submits one job per "seconds:exit" pair through hep_sub, then waits with `wait`. */
function jobsWorkflow(cluster: SimCluster, jobs: string[], wait: Record<string, unknown> = {}, system = 'hepjob'): TestWorkflow {
  const script = jobScript(cluster)
  const submits = jobs.map((job) => {
    const [seconds, code] = job.split(':')
    return `{{ vars.bin }}/hep_sub -g physics {{ vars.script }} ${Number(seconds)} ${Number(code)}`
  }).join(' && ')
  return {
    vars: { bin: cluster.bin, script },
    steps: [
      {
        id: 'submit', display_name: 'submit', type: 'exec', host: 'local',
        inputs: { command: `cd {{ vars.bin }}/../work && ${submits} && echo DONE`, jobs: { system, from_output: 'cluster_ids', tools: '{{ vars.bin }}' } },
        outputs: { cluster_ids: { pattern: 'submitted to cluster ([0-9]+)', all: true, required: true } },
      },
      { id: 'wait', display_name: 'wait', type: 'wait_for_jobs', inputs: { jobs: 'submit', max_wait_minutes: 5, ...wait } },
    ],
  }
}

/** The stand-in cluster with `settings`, an engine, and a started task submitting `jobs` (see jobsWorkflow). */
async function started(t: Parameters<typeof engineFixture>[0], settings: SimSettings, ...workflow: Parameters<typeof jobsWorkflow> extends [SimCluster, ...infer R] ? R : never) {
  const cluster = await installSimCluster(t)
  await cluster.configure(settings)
  const f = engineFixture(t)
  const task = await f.createTask(jobsWorkflow(cluster, ...workflow))
  await f.engine.start(task.id)
  return { cluster, f, task }
}

async function jobRows(f: EngineFixture, taskId: number) {
  return f.db.selectFrom('remote_jobs').selectAll().where('task_id', '=', taskId).orderBy('id').execute()
}

const jobEvents = (events: TaskEvent[]) => events.filter((e): e is JobEvent => e.type === 'job.state')

async function activeSimJobs(cluster: SimCluster): Promise<string[]> {
  return [...(await cluster.jobs())].filter(([, job]) => job.live || ['idle', 'running', 'held'].includes(job.state)).map(([id]) => id)
}

t.test('jobs are recorded once with the line that revealed them and waited for by the batch system\'s word', async (t) => {
  const { f, task } = await started(t, { lag_seconds: 0.3, start_seconds: 0.1 }, ['0.3:0', '0.3:0', '0.5:0'])
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'])
  t.equal(done.status, 'success', String(done.status_reason))

  const rows = await jobRows(f, task.id)
  t.same(rows.map((r) => [r.job_id, r.state, r.exit_code, r.step_name]), [
    ['1.0', 'completed', 0, 'submit'], ['2.0', 'completed', 0, 'submit'], ['3.0', 'completed', 0, 'submit'],
  ], 'each job once, completed with exit code 0 from the history')
  t.ok(rows.every((r) => r.finished_at !== null && r.host === 'local' && r.system === 'hepjob'))

  const events = await f.events(task.id)
  const lines = events.filter((e) => e.type === 'log' && /submitted to cluster/.test(e.data.message))
  const firsts = jobEvents(events).filter((e) => e.data.previous === null)
  t.equal(firsts.length, 3, 'one job.state event per job when it is recorded')
  for (const [i, line] of lines.entries()) {
    t.equal(firsts[i]!.seq, line.seq + 1, `job ${firsts[i]!.data.job_id} is recorded in the transaction of its line`)
    t.equal(firsts[i]!.data.state, 'queued')
  }
  for (const id of ['1.0', '2.0', '3.0']) {
    const states = jobEvents(events).filter((e) => e.data.job_id === id).map((e) => e.data.state)
    t.equal(states.at(-1), 'completed', `job ${id} ends completed`)
  }
  const counts = f.db.selectFrom('step_outputs').select(['output_name', 'output_value']).where('task_id', '=', task.id)
  t.match(await counts.where('output_name', 'in', ['total', 'completed']).execute(), [
    { output_name: 'total', output_value: '3' }, { output_name: 'completed', output_value: '3' },
  ])
  const counted = f.engine.jobs.commandCounts()
  t.equal(counted.length, 1, 'one poller for the host and system')
})

t.test('a failed job fails the wait at once, naming the job and its exit code', async (t) => {
  const { cluster, f, task } = await started(t, { lag_seconds: 0.2, start_seconds: 0.1 }, ['0.2:3', '60:0'])
  const done = await f.waitForStatus(task.id, ['failed', 'success', 'paused'])
  t.equal(done.status, 'failed')
  t.match(done.error_message, /job 1\.0 failed with exit code 3/)
  const logs = await f.db.selectFrom('task_logs').select(['level', 'message']).where('task_id', '=', task.id).execute()
  t.ok(logs.some((l) => l.level === 'error' && /job 1\.0 failed: exit code 3/.test(l.message)), 'an error line names it')
  await f.waitForEvent(task.id, (e) => e.type === 'log' && /the task failed: removed 1 cluster job\(s\) it no longer waits for: 2\.0/.test(e.data.message))
  const rows = await jobRows(f, task.id)
  t.match(rows.find((r) => r.job_id === '2.0'), { state: 'removed' }, 'the failed task\'s other job is not left running')
  t.same(await activeSimJobs(cluster), [], 'nothing of the task is left in the queue')
})

t.test('cancel removes every job and confirms it before the task is cancelled', async (t) => {
  const { cluster, f, task } = await started(t, { lag_seconds: 0.2, start_seconds: 0.1 }, ['60:0', '60:0', '60:0'])
  await f.waitForEvent(task.id, (e) => e.type === 'job.state' && e.data.state === 'running')
  const cancelling = await f.engine.cancel(task.id)
  t.equal(cancelling.status, 'cancelling')
  const done = await f.waitForStatus(task.id, 'cancelled')
  t.equal(done.status_reason, null, 'no warning: every job was removed')
  t.same(await activeSimJobs(cluster), [], 'the queue holds none of the task\'s jobs: 0 left')
  const rows = await jobRows(f, task.id)
  t.same(rows.map((r) => r.state), ['removed', 'removed', 'removed'])
  const statuses = (await f.events(task.id)).flatMap((e) => e.type === 'task.status' ? [e.data.status]
    : e.type === 'job.state' && e.data.state === 'removed' ? ['job removed'] : [])
  t.same(statuses.slice(-5), ['cancelling', 'job removed', 'job removed', 'job removed', 'cancelled'],
    'the task stays cancelling until its jobs are removed')
  const logs = await f.db.selectFrom('task_logs').select('message').where('task_id', '=', task.id).execute()
  t.ok(logs.some((l) => /removed 3 cluster job\(s\); a status query shows none of them queued or running/.test(l.message)))
})

t.test('a removal the batch system refuses ends the cancel with a warning naming the job', async (t) => {
  const cluster = await installSimCluster(t)
  await cluster.configure({ lag_seconds: 0.2, start_seconds: 0.1 })
  await cluster.refuseRemoval(['2.0'])
  const f = engineFixture(t)
  const task = await f.createTask(jobsWorkflow(cluster, ['60:0', '60:0']))
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'job.state' && e.data.job_id === '2.0' && e.data.state === 'running')
  await f.engine.cancel(task.id)
  const done = await f.waitForStatus(task.id, 'cancelled')
  t.match(done.status_reason, /1 cluster job\(s\) may still be queued or running: 2\.0 \(.*Permission denied/)
  t.same(await activeSimJobs(cluster), ['2.0'], 'only the refused job is left')
  await cluster.refuseRemoval([])
})

t.test('pause holds the queued jobs and resume releases them', async (t) => {
  const cluster = await installSimCluster(t)
  // the jobs stay idle until released (start_seconds), so the pause finds them queued
  await cluster.configure({ lag_seconds: 0.2, start_seconds: 3600 })
  const f = engineFixture(t)
  const task = await f.createTask(jobsWorkflow(cluster, ['0:0', '0:0']))
  await f.engine.start(task.id)
  await f.waitForEvent(task.id, (e) => e.type === 'step.started' && e.data.step_id === 'wait')
  await f.waitForEvent(task.id, (e) => e.type === 'job.state' && e.data.job_id === '2.0' && e.data.previous === null)
  await f.engine.pause(task.id)
  await f.waitForStatus(task.id, 'paused')
  await f.waitForEvent(task.id, (e) => e.type === 'log' && /held 2 queued cluster job\(s\)/.test(e.data.message))
  const held = await cluster.jobs()
  t.same([...held.values()].map((j) => j.state), ['held', 'held'], 'the stand-in cluster holds both')
  t.same((await jobRows(f, task.id)).map((r) => r.hold_requested), [1, 1])

  await cluster.configure({ lag_seconds: 0.2, start_seconds: 0.1 })
  await f.engine.resume(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'])
  t.equal(done.status, 'success')
  const logs = await f.db.selectFrom('task_logs').select('message').where('task_id', '=', task.id).execute()
  t.ok(logs.some((l) => /released 2 cluster job\(s\) held during the pause/.test(l.message)))
  t.same((await jobRows(f, task.id)).map((r) => [r.state, r.hold_requested]), [['completed', 0], ['completed', 0]])
})

t.test('a job held by the system pauses the task after held_pause_minutes; retry_from_step removes the old jobs', async (t) => {
  // HTCondor's queue tells the hold reason (hep_q's listing has none)
  const { cluster, f, task } = await started(t, { lag_seconds: 0.2, start_seconds: 3600 }, ['0:0', '0:0'], { held_pause_minutes: 0.005 }, 'htcondor')
  await f.waitForEvent(task.id, (e) => e.type === 'job.state' && e.data.job_id === '2.0' && e.data.previous === null)
  await cluster.run(`${cluster.bin}/condor_hold -reason 'disk quota exceeded' 1.0`)
  const held = await f.waitForEvent(task.id, (e) => e.type === 'job.state' && e.data.state === 'held') as JobEvent
  t.match(held.data, { job_id: '1.0', reason: 'disk quota exceeded' })
  const paused = await f.waitForStatus(task.id, ['paused', 'failed', 'success'])
  t.equal(paused.status, 'paused')
  t.match(paused.status_reason, /stopped for review: wait: job 1\.0 has been held for \d+ min \(disk quota exceeded\)/)

  await cluster.configure({ lag_seconds: 0.2, start_seconds: 0.1 })
  await f.engine.resume(task.id, { retry_from_step: 'submit' })
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'])
  t.equal(done.status, 'success', String(done.status_reason))
  const rows = await jobRows(f, task.id)
  t.same(rows.map((r) => [r.job_id, r.state]), [['1.0', 'removed'], ['2.0', 'removed'], ['3.0', 'completed'], ['4.0', 'completed']],
    'the first submission\'s jobs were removed before the step ran again')
  const logs = await f.db.selectFrom('task_logs').select('message').where('task_id', '=', task.id).execute()
  t.ok(logs.some((l) => /removed 2 unfinished job\(s\) of the steps that run again before resuming: 1\.0, 2\.0/.test(l.message)))
})

t.test('status polls that keep failing pause the waiting task with the reason; the job is not failed', async (t) => {
  const { cluster, f, task } = await started(t, { lag_seconds: 0.2, start_seconds: 3600 }, ['0:0'])
  await f.waitForEvent(task.id, (e) => e.type === 'step.started' && e.data.step_id === 'wait')
  await cluster.run(`mv ${cluster.bin}/hep_q ${cluster.bin}/hep_q.real && printf '#!/bin/bash\\necho "ERROR: schedd not reachable" >&2\\nexit 1\\n' > ${cluster.bin}/hep_q && chmod 755 ${cluster.bin}/hep_q`)
  const paused = await f.waitForStatus(task.id, ['paused', 'failed'])
  t.equal(paused.status, 'paused')
  t.match(paused.status_reason, /the hepjob jobs on local cannot be polled \(3 failures in a row: .*schedd not reachable/)
  t.same((await jobRows(f, task.id)).map((r) => r.state), ['queued'], 'a failed poll is no job failure')
  await cluster.run(`mv -f ${cluster.bin}/hep_q.real ${cluster.bin}/hep_q`)
})

t.test('a file wait with jobs: every job completed but a file is missing fails soon, naming what is missing', async (t) => {
  const cluster = await installSimCluster(t)
  await cluster.configure({ lag_seconds: 0.2, start_seconds: 0.1 })
  const f = engineFixture(t)
  const workflow = jobsWorkflow(cluster, ['0.1:0', '0.1:0'])
  workflow.steps[1] = {
    id: 'wait', display_name: 'wait', type: 'wait_for_files', host: 'local',
    inputs: { directory: cluster.workDir, files: ['job.sh', 'never.root'], jobs: 'submit', poll_seconds: 0.2, max_wait_minutes: 5 },
  }
  const task = await f.createTask(workflow)
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['failed', 'success', 'paused'])
  t.equal(done.status, 'failed')
  t.match(done.error_message, /all 2 job\(s\) of submit completed, but 1 of 2 item\(s\) are incomplete: never\.root/)
  t.same((await jobRows(f, task.id)).map((r) => r.state), ['completed', 'completed'])
})

t.test('batch_submit on HTCondor: condor_submit under a tag; after a crash the tag is looked for, not submitted again', async (t) => {
  const cluster = await installSimCluster(t)
  await cluster.configure({ lag_seconds: 0.2, start_seconds: 0.1 })
  const script = jobScript(cluster)
  const description = join(cluster.workDir, 'two.sub')
  writeFileSync(description, `executable = ${script}\narguments = 0.1 0\ninitialdir = ${cluster.workDir}\nqueue 2\n`)
  const workflow: TestWorkflow = {
    vars: { bin: cluster.bin, file: description },
    steps: [
      { id: 'submit', display_name: 'submit', type: 'batch_submit', host: 'local',
        inputs: { system: 'htcondor', tools: '{{ vars.bin }}', file: '{{ vars.file }}' } },
      { id: 'wait', display_name: 'wait', type: 'wait_for_jobs', inputs: { jobs: 'submit' } },
    ],
  }
  const f = engineFixture(t)
  const first = await f.createTask(workflow)
  await f.engine.start(first.id)
  t.equal((await f.waitForStatus(first.id, ['success', 'failed', 'paused'])).status, 'success')
  t.same((await jobRows(f, first.id)).map((r) => [r.job_id, r.state]), [['1.0', 'completed'], ['1.1', 'completed']])

  // a crash after the submission, before its jobs were recorded: the attempt had recorded its tag
  const tag = 'topup-crashed-t2-e900'
  await cluster.run(`${cluster.bin}/condor_submit -batch-name ${tag} ${description} >/dev/null`)
  const second = await f.createTask(workflow)
  await f.db.updateTable('tasks').set({ status: 'running', resume_from_step: 'submit' }).where('id', '=', second.id).execute()
  await f.db.insertInto('task_executions').values({
    task_id: second.id, step_name: 'submit', step_display_name: 'submit', step_type: 'batch_submit', step_order: 0,
    status: 'running', remote_handle: JSON.stringify({ tag, tagged_at: new Date().toISOString() }),
  }).execute()
  // recovered at once, within the lag window in which the stand-in's queue does not list the jobs yet
  t.same((await f.engine.recover()).requeued, [second.id])
  t.equal((await f.waitForStatus(second.id, ['success', 'failed', 'paused'])).status, 'success')
  t.same((await jobRows(f, second.id)).map((r) => r.job_id), ['2.0', '2.1'], 'the jobs submitted before the crash')
  t.same([...(await cluster.jobs()).keys()], ['1.0', '1.1', '2.0', '2.1'], 'and no third submission')
  const logs = await f.db.selectFrom('task_logs').select('message').where('task_id', '=', second.id).execute()
  t.ok(logs.some((l) => /no job carries tag topup-crashed-t2-e900 yet; looking again once the lag window is over/.test(l.message)))
})
