import { Type } from 'typebox'
import { BatchSystem, JobState, jobStates } from '../../domain.js'
import { Limit, Nullable, Offset, Timestamp, pageOf } from './common.js'

/** A task's cluster jobs. */
export const JobSchema = Type.Object({
  id: Type.Integer(),
  task_id: Type.Integer(),
  execution_id: Type.Integer({ description: 'the attempt of the step whose output revealed the job' }),
  step_id: Type.String(),
  host: Type.String(),
  system: BatchSystem,
  job_id: Type.String({ description: 'the batch system\'s id (HTCondor `cluster.proc`, Slurm `123` or `123_4`)' }),
  state: JobState,
  reason: Nullable(Type.String({ description: 'why it is held (the hold reason), removed or lost' })),
  exit_code: Nullable(Type.Integer()),
  signal: Nullable(Type.Integer()),
  held_by_service: Type.Boolean({ description: 'held by a pause of the task; its resume releases it' }),
  submitted_at: Timestamp,
  state_since: Timestamp,
  last_seen_at: Nullable(Timestamp),
  finished_at: Nullable(Timestamp),
})

export const JobListQuery = Type.Object({
  state: Type.Optional(JobState),
  step_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Limit(500, 1000),
  offset: Offset,
})
export const JobPageSchema = pageOf(JobSchema, 'a task\'s cluster jobs in the order they were recorded')

export const JobCountsSchema = Type.Object({
  total: Type.Integer(),
  by_state: Type.Object(Object.fromEntries(jobStates.map((state) => [state, Type.Integer()]))),
  summary: Type.String({ description: 'e.g. "37/40 done, 2 running, 1 held"' }),
}, { description: 'the task\'s cluster jobs by state' })
