import type { Db } from '../db/connect.js'
import type { TaskRow, TaskWithSnapshot } from '../db/tables.js'
import { cancelInterruptedFrom } from '../db/execution-repository.js'
import { listTaskParameters, upsertTaskParameter } from '../db/task-repository.js'
import type { Actor, ParameterChange } from '../domain.js'
import { AppError } from '../errors.js'
import {
  decodeParameter, describeParameterErrors, encodeParameter, resolveParameters, type ParameterValue,
} from '../workflows/parameters.js'
import type { Emitter } from './event-store.js'
import type { ResumeBody } from './interfaces.js'
import { snapshotOf, taskSteps } from './snapshot.js'
import { refuseDuplicate, writeConcurrency } from './task-identity.js'
import { transitionTask } from './task-state.js'

/** A checked resume request: the parameters that change, and all of them as the task will run with them. */
export interface ResumePlan { changes: ParameterChange[]; parameters: Record<string, ParameterValue> }

/**
 * Checks a resume request against the task's own snapshot (not the live workflow file): the given parameters
 * are laid over the current ones and validated as a whole; the step to retry from must exist.
 */
export async function planResume(db: Db, task: TaskWithSnapshot, body: ResumeBody): Promise<ResumePlan> {
  const definition = snapshotOf(task)
  if (body.retry_from_step !== undefined && !definition.steps.some((s) => s.id === body.retry_from_step)) {
    throw new AppError('unknown_step',
      `step "${body.retry_from_step}" is not a step of workflow ${task.workflow_name}`,
      { errors: [{ field: 'retry_from_step', message: 'unknown step' }] })
  }
  const current: Record<string, ParameterValue> = {}
  for (const row of await listTaskParameters(db, task.id)) current[row.param_name] = decodeParameter(row.param_type, row.param_value)
  if (body.parameters === undefined) return { changes: [], parameters: current }
  const result = resolveParameters(definition.parameters, { ...current, ...body.parameters })
  if (!result.ok) throw new AppError('invalid_parameters', describeParameterErrors(result.errors), { errors: result.errors })
  const changes: ParameterChange[] = []
  for (const [name, value] of Object.entries(result.values)) {
    const old = current[name] ?? null
    if (old === null || encodeParameter(old) !== encodeParameter(value)) {
      changes.push({ name, type: definition.parameters?.[name]?.type ?? 'string', old, new: value })
    }
  }
  // checked before the resume acts on the task's jobs, and again in the transaction that writes the change
  const date = changes.find((c) => c.name === 'date_param')
  if (date) await refuseDuplicate(db, { ...task, date_param: encodeParameter(date.new) })
  return { changes, parameters: result.values }
}

/**
 * paused → queued, with the planned changes written and logged in the same transaction. Changed parameters may
 * change the day the task works on (refused when another unfinished task works on it) and its concurrency key.
 * Who resumes is recorded in the event with the changes, and logged first: resuming a task paused for review
 * approves what was reviewed.
 */
export async function applyResume(
  trx: Db, emit: Emitter, task: TaskWithSnapshot, body: ResumeBody, plan: ResumePlan, siteVars: Readonly<Record<string, string>>,
  actor?: Actor,
): Promise<TaskRow> {
  const { changes } = plan
  const dateChange = changes.find((c) => c.name === 'date_param')
  const row = await transitionTask(trx, emit, task.id, 'queued', {
    from: ['paused'],
    asked: { action: 'resume', actor: actor ?? null, changes, retry_from_step: body.retry_from_step ?? null },
    set: {
      queued_at: new Date().toISOString(), error_message: null,
      resume_from_step: body.retry_from_step ?? task.resume_from_step,
      ...(dateChange ? { date_param: encodeParameter(dateChange.new) } : {}),
    },
  })
  if (actor) await emit.log({ taskId: task.id, level: 'info', source: 'resume', message: `resumed by ${actor.user_id}` })
  if (changes.length > 0) {
    await refuseDuplicate(trx, row)
    await writeConcurrency(trx, row, snapshotOf(task), plan.parameters, siteVars)
  }
  for (const change of changes) {
    await upsertTaskParameter(trx, task.id, { param_name: change.name, param_value: encodeParameter(change.new), param_type: change.type })
    await emit.log({
      taskId: task.id, level: 'info', source: 'resume',
      message: `parameter ${change.name} changed: ${show(change.old)} → ${show(change.new)}`,
    })
  }
  if (body.retry_from_step !== undefined) {
    await emit.log({ taskId: task.id, level: 'info', source: 'resume', message: `resuming from step ${body.retry_from_step}` })
    // Retrying means starting afresh: interrupted attempts from there on are not continued (their detached runs
    // are stopped when their step starts again, see stopEarlierRun).
    await cancelInterruptedFrom(trx, task.id, rerunSteps(task, body.retry_from_step), 'not continued: resumed with retry_from_step')
  }
  return row
}

/** The steps that run again when the task resumes from `retryFrom` (none without it). */
export function rerunSteps(task: TaskWithSnapshot, retryFrom: string | undefined): string[] {
  if (retryFrom === undefined) return []
  const steps = taskSteps(task).map((s) => s.id)
  return steps.slice(Math.max(0, steps.indexOf(retryFrom)))
}

function show(value: ParameterValue | null): string {
  return value === null ? '(unset)' : JSON.stringify(value)
}
