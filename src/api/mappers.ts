import type { Static } from 'typebox'
import { remotePathOf, type ArtifactRow } from '../db/artifact-repository.js'
import type { ActionRecord } from '../db/audit-repository.js'
import { decodeOutputValue } from '../db/output-repository.js'
import type { TaskSummaryRow } from '../db/task-repository.js'
import type { ExecutionRow, JobRow, StepOutputRow, TaskLogRow, TaskParameterRow } from '../db/tables.js'
import type { StepDefinition } from '../workflows/definition.js'
import { jobStates, summarizeJobs, type JobState } from '../domain.js'
import type { JobCountsSchema, JobSchema } from './schemas/jobs.js'
import { decodeParameter, type ParameterValue } from '../workflows/parameters.js'
import type { CatalogEntry } from '../workflows/sync.js'
import type { ArtifactSchema } from './schemas/artifacts.js'
import type { ActionSchema } from './schemas/audit.js'
import type { ExecutionSchema, LogSchema, OutputSchema } from './schemas/records.js'
import type { ProgressSchema, StepSummarySchema, TaskDetailSchema, TaskSchema } from './schemas/tasks.js'
import type { WorkflowDetailSchema, WorkflowSummarySchema } from './schemas/workflows.js'

/** Every database row → API shape mapping, in one place. */

export function toTask(row: TaskSummaryRow): Static<typeof TaskSchema> {
  return {
    id: row.id, user_id: row.user_id, workflow_id: row.workflow_id, workflow_name: row.workflow_name,
    task_name: row.task_name, date_param: row.date_param, status: row.status, status_reason: row.status_reason,
    progress_percentage: row.progress_percentage, current_step: row.current_step,
    resume_from_step: row.resume_from_step, error_message: row.error_message, last_seq: row.last_seq,
    created_at: row.created_at, updated_at: row.updated_at, queued_at: row.queued_at,
    started_at: row.started_at, completed_at: row.completed_at, created_by: row.created_by,
    concurrency_key: row.concurrency_key,
  }
}

export function toParameters(rows: TaskParameterRow[]): Record<string, ParameterValue> {
  return Object.fromEntries(rows.map((p) => [p.param_name, decodeParameter(p.param_type, p.param_value)]))
}

/** The steps of the task's own workflow snapshot, each with the state of its latest attempt. */
export function toStepSummaries(steps: readonly StepDefinition[], executions: ExecutionRow[]): Static<typeof StepSummarySchema>[] {
  return steps.map((step, index) => {
    const attempts = executions.filter((e) => e.step_name === step.id)
    const latest = attempts.at(-1)
    return {
      step_id: step.id, display_name: step.display_name, type: step.type, order: index + 1,
      status: latest ? latest.status : 'pending', attempts: attempts.length,
      start_time: latest?.start_time ?? null, end_time: latest?.end_time ?? null,
      duration_seconds: latest?.duration_seconds ?? null, error: latest?.error_details ?? null,
    }
  })
}

export function toProgress(task: TaskSummaryRow, steps: Static<typeof StepSummarySchema>[], jobs: Partial<Record<JobState, number>>):
  Static<typeof ProgressSchema> {
  return {
    task_id: task.id, status: task.status, progress_percentage: task.progress_percentage,
    current_step: task.current_step, steps_total: steps.length,
    steps_done: steps.filter((s) => s.status === 'success' || s.status === 'skipped').length,
    steps_failed: steps.filter((s) => s.status === 'failed' || s.status === 'timeout').length,
    last_seq: task.last_seq, jobs: toJobCounts(jobs),
  }
}

export function toJobCounts(counts: Partial<Record<JobState, number>>): Static<typeof JobCountsSchema> {
  const byState = Object.fromEntries(jobStates.map((state) => [state, counts[state] ?? 0])) as Record<JobState, number>
  return { total: jobStates.reduce((sum, state) => sum + byState[state], 0), by_state: byState, summary: summarizeJobs(counts) }
}

export function toTaskDetail(task: TaskSummaryRow, definition: readonly StepDefinition[], parameters: TaskParameterRow[],
  executions: ExecutionRow[], jobs: Partial<Record<JobState, number>>, actions: ActionRecord[]): Static<typeof TaskDetailSchema> {
  const steps = toStepSummaries(definition, executions)
  return {
    ...toTask(task), parameters: toParameters(parameters), steps, progress: toProgress(task, steps, jobs),
    actions: actions.map(toAction),
  }
}

export function toAction(record: ActionRecord): Static<typeof ActionSchema> {
  const { data } = record
  return {
    task_id: record.task_id, seq: record.seq, at: record.at, action: data.action, actor: data.actor ?? null,
    user_id: data.user_id, status: data.status, previous: data.previous,
    changes: data.changes?.map((c) => ({ name: c.name, old: c.old, new: c.new })) ?? null,
    retry_from_step: data.retry_from_step ?? null,
  }
}

export function toJob(row: JobRow): Static<typeof JobSchema> {
  return {
    id: row.id, task_id: row.task_id, execution_id: row.execution_id, step_id: row.step_name, host: row.host,
    system: row.system, job_id: row.job_id, state: row.state, reason: row.reason, exit_code: row.exit_code,
    signal: row.signal, held_by_service: row.hold_requested === 1, submitted_at: row.submitted_at,
    state_since: row.state_since, last_seen_at: row.last_seen_at, finished_at: row.finished_at,
  }
}

export function toExecution(row: ExecutionRow): Static<typeof ExecutionSchema> {
  return {
    id: row.id, task_id: row.task_id, step_name: row.step_name, step_display_name: row.step_display_name,
    step_type: row.step_type, step_order: row.step_order, status: row.status, attempt: row.attempt,
    retry_count: row.retry_count, start_time: row.start_time, end_time: row.end_time,
    duration_seconds: row.duration_seconds, output_summary: row.output_summary, error_details: row.error_details,
  }
}

export function toOutput(row: StepOutputRow): Static<typeof OutputSchema> {
  return {
    id: row.id, execution_id: row.execution_id, task_id: row.task_id, output_name: row.output_name,
    output_type: row.output_type, value: decodeOutputValue(row), output_path: row.output_path,
    file_size_bytes: row.file_size_bytes, file_hash: row.file_hash, content_type: row.content_type,
    created_at: row.created_at,
  }
}

/** A file a download step brought back; its local path stays inside. */
export function toArtifact(row: ArtifactRow): Static<typeof ArtifactSchema> {
  return {
    id: row.id, name: row.output_name, size: row.file_size_bytes, sha256: row.file_hash, content_type: row.content_type,
    remote_path: remotePathOf(row.metadata), step_id: row.step_name, execution_id: row.execution_id, created_at: row.created_at,
  }
}

export function toLog(row: TaskLogRow): Static<typeof LogSchema> {
  return {
    id: row.id, task_id: row.task_id, execution_id: row.execution_id, seq: row.seq, level: row.level,
    message: row.message, source: row.source, timestamp: row.timestamp,
  }
}

export function toWorkflowSummary(entry: CatalogEntry): Static<typeof WorkflowSummarySchema> {
  const wf = entry.definition
  return {
    workflow_id: entry.id, name: wf.name, display_name: wf.display_name, description: wf.description ?? null,
    version: wf.version, runnable: entry.runnable, missing_step_types: entry.missingStepTypes,
    source_file: entry.sourceFile, parameters: wf.parameters ?? {},
  }
}

export function toWorkflowDetail(entry: CatalogEntry): Static<typeof WorkflowDetailSchema> {
  return {
    ...toWorkflowSummary(entry), vars: entry.definition.vars ?? {},
    steps: entry.definition.steps as unknown as Record<string, unknown>[],
  }
}
