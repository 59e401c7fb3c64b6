import { Type } from 'typebox'
import { Actor, LifecycleAction, TaskStatus } from '../../domain.js'
import { Limit, Nullable, Offset, ParameterValue, Timestamp, pageOf } from './common.js'
import { DateOrDateTime } from './text.js'

/** One lifecycle action on a task, as its task.status event recorded it. */
export const ActionSchema = Type.Object({
  task_id: Type.Integer(),
  seq: Type.Integer({ description: 'the seq of the task.status event that records it' }),
  at: Timestamp,
  action: LifecycleAction,
  actor: Nullable(Type.Object(Actor.properties, {
    description: 'who asked: the signed-in user and the role they acted in (an admin acting on someone\'s task is '
      + 'the admin), or schedule:<name>; null when it was asked from inside the server',
  })),
  user_id: Type.String({ description: 'whose task it is' }),
  status: TaskStatus,
  previous: Nullable(TaskStatus),
  changes: Nullable(Type.Array(Type.Object({
    name: Type.String(),
    old: Nullable(ParameterValue),
    new: ParameterValue,
  }), { description: 'resume: the parameters it changed, old → new; null for other actions' })),
  retry_from_step: Nullable(Type.String({ description: 'resume: the step it retries from; null otherwise' })),
}, {
  examples: [{
    task_id: 12, seq: 48, at: '2025-06-24T09:12:03.114Z', action: 'resume', actor: { user_id: 'root', role: 'admin' },
    user_id: 'alice', status: 'queued', previous: 'paused',
    changes: [{ name: 'max_wait_minutes', old: 25, new: 40 }], retry_from_step: 'wait_for_job_files',
  }],
})

export const AuditQuery = Type.Object({
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'who acted: a user id or schedule:<name>' })),
  user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'whose task it is' })),
  task_id: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  action: Type.Optional(LifecycleAction),
  since: Type.Optional(DateOrDateTime('at or after (inclusive)')),
  until: Type.Optional(DateOrDateTime('before (exclusive)')),
  limit: Limit(50, 500),
  offset: Offset,
})

export const AuditPageSchema = pageOf(ActionSchema, 'lifecycle actions, newest first')
