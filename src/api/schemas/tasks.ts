import { Type, type Static } from 'typebox'
import { executionStatuses, TaskStatus } from '../../domain.js'
import { Limit, Nullable, Offset, ParameterValue, ParametersInput, Timestamp, pageOf } from './common.js'
import { ActionSchema } from './audit.js'
import { JobCountsSchema } from './jobs.js'
import { DateOrDateTime } from './text.js'

const parametersExample = { date_param: '250624', submit_job: true, max_wait_minutes: 25 }

export const CreateTaskBody = Type.Object({
  user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'defaults to the caller; another user needs the admin role' })),
  workflow_name: Type.String({ minLength: 1, maxLength: 100 }),
  task_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'defaults to "<workflow display name> <date_param>"' })),
  parameters: Type.Optional(ParametersInput('checked against the workflow\'s parameters; defaults are filled in')),
  start: Type.Optional(Type.Boolean({ description: 'queue the task for running right away (needs the engine)' })),
}, {
  additionalProperties: false,
  examples: [{
    user_id: 'user123', workflow_name: 'topup_standard_workflow', task_name: '处理250624日期数据',
    parameters: parametersExample,
  }],
})
export type CreateTaskBody = Static<typeof CreateTaskBody>

export const TaskSchema = Type.Object({
  id: Type.Integer(),
  user_id: Type.String(),
  workflow_id: Type.Integer({ description: 'the exact workflow version the task was created with' }),
  workflow_name: Type.String(),
  task_name: Type.String(),
  date_param: Nullable(Type.String()),
  status: TaskStatus,
  status_reason: Nullable(Type.String()),
  progress_percentage: Type.Number(),
  current_step: Nullable(Type.String()),
  resume_from_step: Nullable(Type.String()),
  error_message: Nullable(Type.String()),
  last_seq: Type.Integer({ description: 'seq of the task\'s latest event' }),
  created_at: Timestamp,
  updated_at: Timestamp,
  queued_at: Nullable(Timestamp),
  started_at: Nullable(Timestamp),
  completed_at: Nullable(Timestamp),
  created_by: Nullable(Type.String({
    description: 'who or what made the task: the id of the user who created it (an admin creating it for someone shows the admin), or schedule:<name>; null for tasks made before this was recorded',
  })),
  concurrency_key: Nullable(Type.String({
    description: 'the workflow\'s concurrency key as rendered for this task: it waits queued while another task of the key holds it',
  })),
})

export const ProgressSchema = Type.Object({
  task_id: Type.Integer(),
  status: TaskStatus,
  progress_percentage: Type.Number(),
  current_step: Nullable(Type.String()),
  steps_total: Type.Integer(),
  steps_done: Type.Integer({ description: 'steps whose latest attempt succeeded or was skipped' }),
  steps_failed: Type.Integer(),
  last_seq: Type.Integer(),
  jobs: JobCountsSchema,
}, {
  examples: [{
    task_id: 1, status: 'running', progress_percentage: 28.6, current_step: 'wait_for_job_files', steps_total: 7,
    steps_done: 2, steps_failed: 0, last_seq: 41,
    jobs: {
      total: 40, summary: '37/40 done, 2 running, 1 held',
      by_state: { queued: 0, running: 2, held: 1, suspended: 0, completed: 37, failed: 0, removed: 0, lost: 0 },
    },
  }],
})

export const StepSummarySchema = Type.Object({
  step_id: Type.String(),
  display_name: Type.String(),
  type: Type.String(),
  order: Type.Integer({ description: '1-based position in the workflow' }),
  status: Type.Enum(executionStatuses, { description: 'latest attempt\'s status; pending when never run' }),
  attempts: Type.Integer(),
  start_time: Nullable(Timestamp),
  end_time: Nullable(Timestamp),
  duration_seconds: Nullable(Type.Number()),
  error: Nullable(Type.String()),
})

export const TaskDetailSchema = Type.Object({
  ...TaskSchema.properties,
  parameters: Type.Record(Type.String(), ParameterValue),
  steps: Type.Array(StepSummarySchema),
  progress: ProgressSchema,
  actions: Type.Array(ActionSchema, {
    description: 'who created, started, paused, resumed (with the parameters changed) and cancelled the task, oldest first',
  }),
})

export const TaskListQuery = Type.Object({
  user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'admins: any user; others: only themselves' })),
  status: Type.Optional(TaskStatus),
  workflow_name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  date_param: Type.Optional(Type.String({ pattern: '^[0-9]{6}$', description: 'the day of data, YYMMDD (e.g. 250624)' })),
  created_after: Type.Optional(DateOrDateTime('created at or after (inclusive)')),
  created_before: Type.Optional(DateOrDateTime('created before (exclusive)')),
  limit: Limit(50, 500),
  offset: Offset,
})
export type TaskListQuery = Static<typeof TaskListQuery>

export const TaskPageSchema = pageOf(TaskSchema, 'tasks, newest first')
