import { Type, type Static } from 'typebox'

/**
 * The vocabulary every layer shares, defined once: the API schemas (so OpenAPI lists the values), the Kysely
 * column types, the WebSocket protocol and the CHECK constraints of schema.sql all come from these lists.
 */
export const taskStatuses = [
  'pending', 'queued', 'running', 'pausing', 'paused', 'cancelling', 'cancelled', 'success', 'failed',
] as const
export const TaskStatus = Type.Enum(taskStatuses, { description: 'task status' })
export type TaskStatus = Static<typeof TaskStatus>

export const executionStatuses = [
  'pending', 'running', 'success', 'failed', 'timeout', 'cancelled', 'skipped', 'interrupted',
] as const
export const ExecutionStatus = Type.Enum(executionStatuses, { description: 'status of one attempt of a step' })
export type ExecutionStatus = Static<typeof ExecutionStatus>

/** A cluster job's state, whatever the batch system (src/batch/ maps each system's native states onto these). */
export const jobStates = ['queued', 'running', 'held', 'suspended', 'completed', 'failed', 'removed', 'lost'] as const
export const JobState = Type.Enum(jobStates, { description: 'state of a cluster job' })
export type JobState = Static<typeof JobState>
/** A job in one of these states is over: nothing will change it again. */
export const finishedJobStates = ['completed', 'failed', 'removed', 'lost'] as const satisfies readonly JobState[]
export const isFinishedJob = (state: JobState) => (finishedJobStates as readonly JobState[]).includes(state)
/** Queued, running, held or suspended: the batch system still holds it. */
export const isActiveJob = (state: JobState) => !isFinishedJob(state)

/** "exit code 3", "signal 9", or "no exit code": how a job's end is named. */
export function describeJobEnd(job: { exit_code: number | null; signal: number | null }): string {
  if (job.signal !== null) return `signal ${job.signal}`
  return job.exit_code !== null ? `exit code ${job.exit_code}` : 'no exit code'
}

/** How job counts are said everywhere (a wait's log, the task's progress): "37/40 done, 2 running, 1 held". */
export function summarizeJobs(counts: Partial<Record<JobState, number>>): string {
  const total = jobStates.reduce((sum, state) => sum + (counts[state] ?? 0), 0)
  const others = jobStates.filter((state) => state !== 'completed' && (counts[state] ?? 0) > 0)
  return [`${counts.completed ?? 0}/${total} done`, ...others.map((state) => `${counts[state]} ${state}`)].join(', ')
}

/** The batch systems the service drives (src/batch/ has one adapter each). */
export const batchSystems = ['hepjob', 'htcondor', 'slurm'] as const
export const BatchSystem = Type.Enum(batchSystems, { description: 'batch system' })
export type BatchSystem = Static<typeof BatchSystem>

/** What became of one firing of a schedule: a task made, skipped (its day already done or under way), or failed. */
export const scheduleOutcomes = ['created', 'skipped', 'failed'] as const
export const ScheduleOutcome = Type.Enum(scheduleOutcomes, { description: 'what a firing of a schedule did' })
export type ScheduleOutcome = Static<typeof ScheduleOutcome>

/** What a notification is about (src/notify/): a review waiting, a task failed or succeeded, a cluster job held. */
export const notifyTriggers = ['review', 'failed', 'succeeded', 'job_held'] as const
export const NotifyTrigger = Type.Enum(notifyTriggers, { description: 'what a notification is about' })
export type NotifyTrigger = Static<typeof NotifyTrigger>

/** A notification's delivery: waiting (first try or a retry), sent, or given up after NOTIFY_MAX_ATTEMPTS. */
export const deliveryStatuses = ['pending', 'sent', 'failed'] as const
export const DeliveryStatus = Type.Enum(deliveryStatuses, { description: 'state of one notification delivery' })
export type DeliveryStatus = Static<typeof DeliveryStatus>

/** Ordered from least to most severe: a `level` filter means that level and more severe. */
export const logLevels = ['debug', 'info', 'warning', 'error'] as const
export const LogLevel = Type.Enum(logLevels, { description: 'log level' })
export type LogLevel = Static<typeof LogLevel>

export const taskEventTypes = ['task.status', 'task.progress', 'step.started', 'step.finished', 'step.retry',
  'step.output', 'job.state', 'log'] as const
export const TaskEventType = Type.Enum(taskEventTypes, { description: 'event type' })
export type TaskEventType = Static<typeof TaskEventType>

/** The lifecycle actions someone can ask for; each is recorded, with who asked, in its task.status event. */
export const lifecycleActions = ['create', 'start', 'pause', 'resume', 'cancel'] as const
export const LifecycleAction = Type.Enum(lifecycleActions, { description: 'lifecycle action' })
export type LifecycleAction = Static<typeof LifecycleAction>

/** An actor's standing: the role of a signed-in user, or `schedule` for a task a schedule made and started. */
export const actorRoles = ['user', 'admin', 'schedule'] as const
export const ActorRole = Type.Enum(actorRoles, { description: 'user or admin (the role the token carried), or schedule' })

/**
 * Who asked for a lifecycle action: the signed-in user with the role they acted in (an admin acting on someone
 * else's task is the admin), or a schedule as `schedule:<name>` (what tasks.created_by holds). Where an event
 * records none (`actor: null`), the engine moved the task by itself.
 */
export const Actor = Type.Object({
  user_id: Type.String({ description: 'the user id, or schedule:<name>' }),
  role: ActorRole,
})
export type Actor = Static<typeof Actor>
export const scheduleActor = (name: string): Actor => ({ user_id: `schedule:${name}`, role: 'schedule' })

/** The value of a workflow parameter, as decoded from its stored text. */
export type ParameterValue = string | number | boolean

/** A parameter a resume changed: its old value (null when it had none) and the new one. */
export interface ParameterChange { name: string; type: string; old: ParameterValue | null; new: ParameterValue }

/**
 * A task.status event. `action` and `actor` say who asked for the change; the engine writes both, null for a
 * transition it makes by itself (queued → running, pausing → paused, …); events written before actions were
 * recorded have neither. A resume also records the parameters it changed and the step it retries from.
 */
export type TaskStatusData = {
  status: TaskStatus
  /** null for the task's first event, its creation (→ pending). */
  previous: TaskStatus | null
  reason: string | null
  /** Whose task it is. */
  user_id: string
  action?: LifecycleAction | null
  actor?: Actor | null
  /** resume only: every parameter it changed (none: []). */
  changes?: ParameterChange[]
  /** resume only: the step it retries from, null when it continues where the task paused. */
  retry_from_step?: string | null
}

/** A value a step records as an output (a list from a multi-match pattern or a file wait). */
export type OutputValue = string | string[] | number | boolean

/**
 * Task events. Each carries the task's id and a `seq` that strictly increases per task; the database row is
 * written before the event is pushed, so a client that asks for "everything after seq N" can always rebuild.
 */
export interface EventBase<T extends TaskEventType, D> {
  task_id: number
  seq: number
  type: T
  at: string
  data: D
}

export type TaskEvent =
  | EventBase<'task.status', TaskStatusData>
  | EventBase<'task.progress', { progress_percentage: number; current_step: string | null; user_id: string }>
  | EventBase<'step.started', { execution_id: number; step_id: string; attempt: number }>
  | EventBase<'step.finished', { execution_id: number; step_id: string; status: ExecutionStatus; error: string | null }>
  | EventBase<'step.retry', { execution_id: number; step_id: string; attempt: number; delay_seconds: number }>
  | EventBase<'step.output', { execution_id: number; step_id: string; name: string; output_type: string; value: unknown }>
  | EventBase<'job.state', {
    job_id: string; host: string; system: BatchSystem; step_id: string; execution_id: number; state: JobState;
    previous: JobState | null; reason: string | null; exit_code: number | null
  }>
  | EventBase<'log', { execution_id: number | null; level: LogLevel; message: string; source: string | null }>

type Unsequenced<E> = E extends TaskEvent ? { type: E['type']; data: E['data'] } : never
/** An event before the store numbers it (no task_id, seq or time yet). */
export type NewEvent = Unsequenced<TaskEvent>
/** An event kept in task_events (a log line goes to task_logs). */
export type NewStoredEvent = Exclude<NewEvent, { type: 'log' }>

// Every listed type has an event shape and every event shape is listed.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never
const eventTypesComplete: Exact<TaskEvent['type'], TaskEventType> = true
void eventTypesComplete
