import type { TaskWithSnapshot } from '../db/tables.js'
import type { StepDefinition, WorkflowDefinition } from '../workflows/definition.js'

/**
 * The workflow a task runs: the definition as it was when the task was created (task_snapshots.workflow_snapshot), not
 * the live file. The loader validated it before it was stored, hence the one cast.
 */
export function snapshotOf(task: Pick<TaskWithSnapshot, 'workflow_snapshot'>): WorkflowDefinition {
  return JSON.parse(task.workflow_snapshot) as WorkflowDefinition
}

export function taskSteps(task: Pick<TaskWithSnapshot, 'workflow_snapshot'>): StepDefinition[] {
  return snapshotOf(task).steps
}
