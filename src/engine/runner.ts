import type { Config } from '../config.js'
import { findTask, listTaskParameters, taskStatus } from '../db/task-repository.js'
import { runningExecutions } from '../db/execution-repository.js'
import { describeFault, storageFault } from '../db/storage-fault.js'
import { taskOutputValues } from '../db/output-repository.js'
import type { TaskRow } from '../db/tables.js'
import type { StepTable } from '../steps/registry.js'
import type { WorkflowDefinition } from '../workflows/definition.js'
import { decodeParameter } from '../workflows/parameters.js'
import { isTruthy, renderTemplate, resolveVars, type TemplateScope } from '../workflows/template.js'
import { finishCancel, type CancelDeps } from './cancellation.js'
import { closeExecution } from './close-execution.js'
import { retryDelaySeconds, retryPolicyOf } from './retry-policy.js'
import { runAttempt, type AttemptDeps } from './step-attempt.js'
import type { AttemptResult } from './step-decision.js'
import { resumedProgress } from './resumable.js'
import { snapshotOf } from './snapshot.js'
import { stopEarlierRun } from './orphans.js'
import { holdAfterStorageFault } from './storage-hold.js'
import { beginStep, completeTask, finishAttempt, nothingLeft, type StepPosition } from './step-transactions.js'
import type { StopHandle } from './stop-handle.js'
import { tryTransition } from './task-state.js'
import { messageOf } from '../errors.js'

export interface RunnerDeps extends AttemptDeps, CancelDeps {
  config: Pick<Config, 'DEFAULT_TIMEOUT_MINUTES' | 'MAX_RETRY_ATTEMPTS' | 'RETRY_DELAY_SECONDS' |
    'RETRY_MAX_DELAY_SECONDS' | 'STORAGE_RETRY_MAX_SECONDS' | 'siteVars'>
  steps: StepTable
}

/**
 * Runs a claimed (`running`) task from its cursor (`resume_from_step`, else the first step) to the end or to
 * the next stop: pause, cancel, failure, a `pause_after` checkpoint or shutdown. The steps come from the
 * task's own workflow snapshot, never from the live file.
 */
export async function runTask(deps: RunnerDeps, taskId: number, run: StopHandle): Promise<void> {
  try {
    await runSteps(deps, taskId, run)
    // A cancel reached a step boundary: the steps are stopped, and the task ends once its jobs are removed.
    const status = await taskStatus(deps.db, taskId)
    if (status === 'cancelling') {
      const task = await findTask(deps.db, taskId)
      if (task) await finishCancel(deps, task)
    } else if (status === 'failed') await deps.jobs.afterFailure(taskId)
  } catch (error) {
    const fault = storageFault(error)
    deps.logger.error({ err: error, task_id: taskId },
      fault ? `task runner could not write to the database: ${describeFault(fault)}` : 'task runner failed')
    const record = fault ? holdAfterStorageFault(deps, taskId, run, fault) : failUnexpectedly(deps, taskId, error)
    await record.catch((e: unknown) => deps.logger.error({ err: e, task_id: taskId }, 'could not record the runner failure'))
  }
}

async function runSteps(deps: RunnerDeps, taskId: number, run: StopHandle): Promise<void> {
  const task = await findTask(deps.db, taskId)
  // A pause or cancel may commit between the claim and this read: the first step boundary (beginStep, or
  // completeTask) still turns pausing into paused and cancelling into cancelled, so the task cannot stay there.
  if (!task || !['running', 'pausing', 'cancelling'].includes(task.status)) return
  const definition = snapshotOf(task)
  const { steps, advice } = definition
  if (nothingLeft(task)) return completeTask(deps.store, { task, steps, advice, index: steps.length - 1, run })
  const start = task.resume_from_step === null ? 0 : steps.findIndex((s) => s.id === task.resume_from_step)
  if (start < 0) throw new Error(`step "${task.resume_from_step}" is not in the task's workflow`)
  const scope = await buildScope(deps, task, definition)
  for (let index = start; index < steps.length; index++) {
    if (!await runStep(deps, { task, steps, advice, index, run }, scope)) return
  }
}

/** Runs one step with its retries; true when the task goes on with the next step. */
async function runStep(deps: RunnerDeps, pos: StepPosition, scope: TemplateScope): Promise<boolean> {
  const step = pos.steps[pos.index]!
  const impl = deps.steps[step.type]
  const policy = retryPolicyOf(step, deps.config)
  for (let retries = 0; ; retries++) {
    let skip = false
    let problem: string | null = impl ? null : `step type "${step.type}" is not available`
    if (step.when !== undefined && problem === null) {
      try { skip = !isTruthy(renderTemplate(step.when, scope)) } catch (error) { problem = `when: ${messageOf(error)}` }
    }
    const begun = await beginStep(deps.store, pos, { skip, retries })
    if (begun.kind === 'stopped') return false
    if (begun.kind === 'skipped') return begun.carryOn
    const { execution, previous } = begun
    let result: AttemptResult
    if (problem !== null || !impl) {
      result = { status: 'failed', error: problem, retryable: false, summary: null }
    } else {
      const resumed = resumedProgress(previous, impl)
      const stale = await stopEarlierRun(deps, { taskId: pos.task.id, executionId: execution.id, step }, previous,
        resumed.remoteHandle !== null)
      result = stale !== null ? { status: 'failed', error: stale, retryable: false, summary: null, review: true } : await runAttempt(deps, {
        task: { id: pos.task.id, user_id: pos.task.user_id },
        execution: { id: execution.id, attempt: execution.attempt },
        step, impl, scope, run: pos.run, ...resumed,
        timeoutMs: (step.timeout_minutes ?? deps.config.DEFAULT_TIMEOUT_MINUTES) * 60_000,
      })
    }
    const delaySeconds = retryDelaySeconds(policy, retries + 1)
    const hostDown = result.status !== 'success' && result.retryable ? deps.transports.hostDown(step.host) : null
    const decision = await finishAttempt(deps.store, pos, execution, result,
      { left: retries < policy.maxRetries, delaySeconds }, hostDown)
    if (decision.kind !== 'retry') return decision.kind === 'next'
    deps.store.log({
      taskId: pos.task.id, executionId: execution.id, level: 'warning', source: 'engine',
      message: `step ${step.id} attempt ${execution.attempt} ${result.status}: ${result.error ?? ''}; retrying in ${delaySeconds.toFixed(1)} s`,
    })
    await pos.run.sleep(delaySeconds * 1000)
  }
}

async function buildScope(deps: RunnerDeps, task: TaskRow, definition: WorkflowDefinition): Promise<TemplateScope> {
  const params: Record<string, unknown> = {}
  for (const row of await listTaskParameters(deps.db, task.id)) {
    params[row.param_name] = decodeParameter(row.param_type, row.param_value)
  }
  const taskRef = { id: task.id, user_id: task.user_id }
  const vars = resolveVars(definition.vars ?? {}, deps.config.siteVars, { params, task: taskRef })
  const steps: TemplateScope['steps'] = {}
  for (const [stepId, outputs] of Object.entries(await taskOutputValues(deps.db, task.id))) steps[stepId] = { outputs }
  return { params, vars, steps, task: taskRef }
}

/** A bug or a database fault other than the storage's: the task must still end somewhere visible, never stay `running`. */
async function failUnexpectedly(deps: RunnerDeps, taskId: number, error: unknown): Promise<void> {
  const message = `internal error: ${messageOf(error)}`
  await deps.store.commit(async (trx, emit) => {
    const end = new Date()
    for (const execution of await runningExecutions(trx, taskId)) {
      await closeExecution(trx, emit, execution, { status: 'failed', summary: null, error: message }, end)
    }
    const now = end.toISOString()
    const cancelled = await tryTransition(trx, emit, taskId, 'cancelled', { set: { completed_at: now } })
    if (!cancelled) {
      await tryTransition(trx, emit, taskId, 'failed', {
        from: ['running', 'pausing'], reason: message, set: { completed_at: now, error_message: message },
      })
    }
  })
}
