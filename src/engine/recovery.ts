import type { Logger } from 'pino'
import { latestExecutionOf, runningExecutions } from '../db/execution-repository.js'
import type { ExecutionRow, TaskWithSnapshot } from '../db/tables.js'
import type { HostTransports } from '../remote/transport-provider.js'
import { storageFault } from '../db/storage-fault.js'
import { lastHeartbeat, unfinishedTasks } from '../db/task-repository.js'
import type { StepTable } from '../steps/registry.js'
import { finishCancel, type CancelDeps } from './cancellation.js'
import { killRecordedProcess } from './orphans.js'
import { closeExecution } from './close-execution.js'
import type { EventStore } from './event-store.js'
import { lastSeenText } from './heartbeat.js'
import { canContinue, stateOf } from './resumable.js'
import { snapshotOf, taskSteps } from './snapshot.js'
import { recoveryDecision } from './recovery-decision.js'
import { PAUSE_REASON, withAdvice } from './step-decision.js'
import { transitionTask } from './task-state.js'

export interface RecoveryDeps extends CancelDeps {
  store: EventStore
  steps: StepTable
  transports: HostTransports
  logger: Logger
}

export interface RecoveryReport {
  requeued: number[]
  paused: number[]
  cancelled: number[]
  /** When each recovered task's runner last beat (heartbeat_at), by task id; null when it never did. */
  lastSeen: Record<number, string | null>
  /** Tasks whose recovery could not be written (a storage fault: disk full…), to be recovered again later. */
  unrecorded: number[]
}

/**
 * At boot, before the scheduler claims anything: no task may stay `running`, `pausing` or `cancelling` without
 * a runner. A step that can continue (canContinue: a wait, a detached command with its handle and offsets)
 * continues from its durable progress; an idempotent step runs again; any other interrupted step may already
 * have had effects, so its task pauses for a person instead of silently running the command a second time.
 * `queued` tasks simply stay queued. `only`: just these tasks (a recovery that the storage refused, tried again).
 */
export async function recoverTasks(deps: RecoveryDeps, only?: readonly number[]): Promise<RecoveryReport> {
  const report: RecoveryReport = { requeued: [], paused: [], cancelled: [], lastSeen: {}, unrecorded: [] }
  const start = new Date()
  const tasks = (await unfinishedTasks(deps.store.db)).filter((task) => !only || only.includes(task.id))
  for (const task of tasks) {
    try {
      const beat = await lastHeartbeat(deps.store.db, task.id)
      report.lastSeen[task.id] = beat
      const seen = lastSeenText(beat, start)
      if (task.status === 'cancelling') {
        await finishCancel(deps, task)
        report.cancelled.push(task.id)
      } else {
        report[await recoverTask(deps, task, seen) === 'queued' ? 'requeued' : 'paused'].push(task.id)
      }
      deps.logger.info({ task_id: task.id, status: task.status, runner_last_seen: beat }, `recovered task ${task.id}: ${seen}`)
    } catch (error) {
      // e.g. a request changed the task meanwhile; one task must not keep the others from recovering
      deps.logger.error({ err: error, task_id: task.id }, 'could not recover a task')
      if (storageFault(error)) report.unrecorded.push(task.id)
    }
  }
  if (tasks.length > 0) deps.logger.info(report, 'recovered unfinished tasks')
  return report
}

async function recoverTask(deps: RecoveryDeps, task: TaskWithSnapshot, seen: string): Promise<'queued' | 'paused'> {
  const interrupted = await runningExecutions(deps.store.db, task.id)
  let last = interrupted.at(-1)
  // A shutdown closes the step it had to stop as `interrupted` and leaves the task running at that step.
  if (!last && task.resume_from_step !== null) {
    const latest = await latestExecutionOf(deps.store.db, task.id, task.resume_from_step)
    if (latest?.status === 'interrupted') last = latest
  }
  const steps = taskSteps(task)
  const continues = (execution: ExecutionRow) => {
    const step = steps.find((s) => s.id === execution.step_name)
    return step !== undefined && canContinue(deps.steps[step.type], stateOf(execution))
  }
  const step = last ? steps.find((s) => s.id === last.step_name) : undefined
  const resumable = last ? continues(last) : false
  // Nobody will read the output of an orphaned command any more: stop it rather than let it act unobserved.
  for (const execution of interrupted) {
    if (!continues(execution)) await killRecordedProcess(deps.store, execution, task, deps.transports, deps.logger)
  }
  const choice = recoveryDecision({
    status: task.status === 'pausing' ? 'pausing' : 'running',
    interrupted: last ? { stepId: last.step_name, resumable, idempotent: step?.idempotent === true } : null,
  })
  await deps.store.commit(async (trx, emit) => {
    const now = new Date()
    for (const execution of interrupted) {
      await closeExecution(trx, emit, execution,
        { status: 'interrupted', summary: execution.output_summary, error: 'interrupted by restart' }, now)
    }
    // a pause the restart brought, like one a step brought, says what to do (a pause asked for does not)
    const reason = choice.to === 'paused' && choice.reason !== PAUSE_REASON ? withAdvice(choice.reason, snapshotOf(task).advice) : choice.reason
    await transitionTask(trx, emit, task.id, choice.to, {
      from: [task.status], reason,
      set: last ? { resume_from_step: last.step_name } : {},
    })
    if (last && choice.note) {
      await emit.log({ taskId: task.id, level: 'warning', executionId: last.id, source: 'engine', message: `${choice.note}; ${seen}` })
    }
  })
  return choice.to
}
