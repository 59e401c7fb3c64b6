import type { Migration } from './migration.js'

/**
 * Every step start reads the step's latest attempt (and, for a retry, counts its attempts) by task and step name.
 * idx_executions_task orders a task's executions by step_order, so that read went through all of the task's
 * executions and sorted the matches: a cost that grew with every step the task had run (146 µs per start at the
 * 200th step of one task). With the step name in an index, whose entries end in the id, it is one seek.
 */
export const executionStepIndex: Migration = {
  name: '0009-execution-step-index',
  sql: `
CREATE INDEX idx_executions_step ON task_executions (task_id, step_name);
`,
}
