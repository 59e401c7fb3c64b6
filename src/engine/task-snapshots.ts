import { LruMap } from '../lru-map.js'
import type { StepDefinition, WorkflowDefinition } from '../workflows/definition.js'
import type { Db } from '../db/connect.js'
import type { TaskWithSnapshot } from '../db/tables.js'
import { workflowSnapshots } from '../db/task-repository.js'
import { snapshotOf } from './snapshot.js'

/**
 * Tasks' workflow snapshots, read and parsed once. A snapshot is written when its task is created and never changed
 * (task-creation.ts), so an entry cannot go stale; tasks created from the same definition share one parsed
 * object. For the standard workflow a snapshot is ~50 KB of JSON: reading and parsing it was most of a task GET.
 * The definitions handed out are shared: callers read them and never change them.
 */
export class TaskSnapshots {
  private readonly byTask: LruMap<number, WorkflowDefinition>
  private readonly byText: LruMap<string, WorkflowDefinition>

  constructor(private readonly db: Db, maxTasks = 10_000, maxDefinitions = 64) {
    this.byTask = new LruMap(maxTasks)
    this.byText = new LruMap(maxDefinitions)
  }

  /** The definitions of these tasks (a task that does not exist is left out). */
  async of(taskIds: readonly number[]): Promise<Map<number, WorkflowDefinition>> {
    const found = new Map<number, WorkflowDefinition>()
    const missing: number[] = []
    for (const id of taskIds) {
      const definition = this.byTask.get(id)
      if (definition) found.set(id, definition)
      else missing.push(id)
    }
    for (const row of await workflowSnapshots(this.db, missing)) {
      found.set(row.id, this.byTask.set(row.id, this.parsed(row.workflow_snapshot)))
    }
    return found
  }

  /** A task's snapshot as its creator has it at hand (a new task's detail then needs no read of it). */
  remember(task: Pick<TaskWithSnapshot, 'id' | 'workflow_snapshot'>): void {
    this.byTask.set(task.id, this.parsed(task.workflow_snapshot))
  }

  /** The definition of one task; undefined when there is no such task. */
  async ofTask(taskId: number): Promise<WorkflowDefinition | undefined> {
    return (await this.of([taskId])).get(taskId)
  }

  /** The steps of one task's workflow, in order; none for a task that does not exist. */
  async steps(taskId: number): Promise<readonly StepDefinition[]> {
    return (await this.ofTask(taskId))?.steps ?? []
  }

  private parsed(text: string): WorkflowDefinition {
    return this.byText.get(text) ?? this.byText.set(text, snapshotOf({ workflow_snapshot: text }))
  }
}
