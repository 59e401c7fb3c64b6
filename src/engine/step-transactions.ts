import type { Db } from '../db/connect.js'
import { countAttempts, insertExecution, latestExecutionOf } from '../db/execution-repository.js'
import type { ExecutionRow, TaskRow } from '../db/tables.js'
import { setTaskCursor, setTaskProgress, taskStatus } from '../db/task-repository.js'
import type { StepDefinition, WorkflowDefinition } from '../workflows/definition.js'
import type { EventStore, Emitter } from './event-store.js'
import { closeExecution } from './close-execution.js'
import { decide, requestedStop, stopDecision, type AttemptResult, type Decision } from './step-decision.js'
import { transitionTask } from './task-state.js'
import type { StopHandle } from './stop-handle.js'

/**
 * The runner's writes. Each attempt is bracketed by two transactions — begin (check the task may go on, open
 * the execution row) and finish (close it and apply the decision) — and each reads the task's status inside
 * the transaction, so a pause or cancel that committed meanwhile is always seen at the next safe point.
 */
export interface StepPosition {
  task: TaskRow
  /** The steps and the advice of the task's workflow snapshot, parsed once per run of the task. */
  steps: StepDefinition[]
  advice: WorkflowDefinition['advice']
  index: number
  run: StopHandle
}

export type Begin =
  | { kind: 'stopped' }
  | { kind: 'skipped'; carryOn: boolean }
  | { kind: 'started'; execution: ExecutionRow; previous: ExecutionRow | undefined }

export async function beginStep(store: EventStore, pos: StepPosition, options: { skip: boolean; retries: number }):
  Promise<Begin> {
  const step = pos.steps[pos.index]!
  const taskId = pos.task.id
  return store.commit(async (trx, emit) => {
    const status = await taskStatus(trx, taskId)
    // Ended or parked by another request meanwhile: nothing to do here.
    if (status !== 'running' && status !== 'pausing' && status !== 'cancelling') return { kind: 'stopped' }
    const stop = requestedStop(status, pos.run.shuttingDown)
    if (stop) {
      await applyDecision(trx, emit, pos, stopDecision(stop, 'same'))
      return { kind: 'stopped' }
    }
    const previous = await latestExecutionOf(trx, taskId, step.id)
    const now = new Date()
    const execution = await insertExecution(trx, {
      task_id: taskId, step_name: step.id, step_display_name: step.display_name, step_type: step.type,
      // a step's first attempt (most are) needs no count
      step_order: pos.index, status: 'running', attempt: previous ? (await countAttempts(trx, taskId, step.id)) + 1 : 1,
      retry_count: options.retries, start_time: now.toISOString(), heartbeat_at: now.toISOString(),
    })
    if (options.skip) {
      // closed in the transaction that opened it: no one sees it running
      await closeExecution(trx, emit, execution, { status: 'skipped', summary: 'condition "when" is false', error: null }, now)
      const isLast = pos.index === pos.steps.length - 1
      await applyDecision(trx, emit, pos, isLast ? { kind: 'succeed' } : { kind: 'next' })
      return { kind: 'skipped', carryOn: !isLast }
    }
    await emit.event(taskId, { type: 'step.started', data: { execution_id: execution.id, step_id: step.id, attempt: execution.attempt } })
    await setProgress(trx, emit, pos, percent(pos.index, pos.steps.length), step.id, step.id)
    return { kind: 'started', execution, previous }
  })
}

export async function finishAttempt(
  store: EventStore, pos: StepPosition, execution: ExecutionRow, result: AttemptResult,
  retry: { left: boolean; delaySeconds: number }, hostDown: string | null = null,
): Promise<Decision> {
  const step = pos.steps[pos.index]!
  const taskId = pos.task.id
  return store.commit(async (trx, emit) => {
    const status = await taskStatus(trx, taskId)
    const stop = requestedStop(status, pos.run.shuttingDown)
    const { decision, executionStatus } = decide({
      result, stop, stepId: step.id, onFailure: step.on_failure ?? 'stop', pauseAfter: step.pause_after ?? false,
      reviewNote: step.review, retriesLeft: retry.left, isLast: pos.index === pos.steps.length - 1, hostDown, advice: pos.advice,
    })
    await closeExecution(trx, emit, execution, { status: executionStatus, summary: result.summary, error: result.error })
    if (decision.kind === 'retry') {
      await emit.event(taskId, {
        type: 'step.retry',
        data: { execution_id: execution.id, step_id: step.id, attempt: execution.attempt + 1, delay_seconds: retry.delaySeconds },
      })
    }
    await applyDecision(trx, emit, pos, decision)
    return decision
  })
}

export async function applyDecision(trx: Db, emit: Emitter, pos: StepPosition, decision: Decision): Promise<void> {
  const taskId = pos.task.id
  const step = pos.steps[pos.index]!
  const next = pos.steps[pos.index + 1]
  const now = new Date().toISOString()
  const done = percent(pos.index + 1, pos.steps.length)
  switch (decision.kind) {
    case 'retry':
      return
    case 'next':
      await setProgress(trx, emit, pos, done, step.id, next?.id ?? null)
      return
    case 'halt':
      await setTaskCursor(trx, taskId, decision.at === 'same' ? step.id : next?.id ?? null)
      return
    case 'succeed':
      await transitionTask(trx, emit, taskId, 'success', {
        from: ['running', 'pausing'],
        set: { completed_at: now, resume_from_step: null, error_message: null },
      })
      await setProgress(trx, emit, pos, 100, null)
      return
    case 'fail':
      await transitionTask(trx, emit, taskId, 'failed', {
        from: ['running', 'pausing'], reason: decision.message,
        set: { completed_at: now, error_message: decision.message },
      })
      return
    case 'cancel':
      // the task stays cancelling: its runner ends it through finishCancel, once its jobs are removed
      return
    case 'pause': {
      // Paused after the last step: no cursor, progress 100 — resuming completes the task.
      const at = decision.at === 'same' ? step.id : next?.id ?? null
      await transitionTask(trx, emit, taskId, 'paused', {
        from: ['running', 'pausing'], reason: decision.reason, set: { resume_from_step: at },
      })
      if (decision.at === 'next') await setProgress(trx, emit, pos, done, step.id)
    }
  }
}

/** Writes the task's progress (and, when given, its cursor) with its task.progress event. */
async function setProgress(
  trx: Db, emit: Emitter, pos: StepPosition, progress: number, currentStep: string | null, resumeFromStep?: string | null,
): Promise<void> {
  const row = await setTaskProgress(trx, pos.task.id, { percentage: progress, currentStep, resumeFromStep })
  await emit.event(pos.task.id, {
    type: 'task.progress',
    data: { progress_percentage: progress, current_step: currentStep, user_id: row.user_id },
  })
}

export function percent(done: number, total: number): number {
  return total === 0 ? 100 : Math.round((done / total) * 1000) / 10
}

/** A task resumed after a review of its last step has nothing left to run. */
export function nothingLeft(task: TaskRow): boolean {
  return task.resume_from_step === null && task.progress_percentage >= 100
}

/** Nothing is left to run: the task succeeds — or, when a cancel came first, stays cancelling for finishCancel. */
export async function completeTask(store: EventStore, pos: StepPosition): Promise<void> {
  await store.commit(async (trx, emit) => {
    const cancelled = (await taskStatus(trx, pos.task.id)) === 'cancelling'
    await applyDecision(trx, emit, { ...pos, index: pos.steps.length - 1 }, cancelled ? { kind: 'cancel' } : { kind: 'succeed' })
  })
}
