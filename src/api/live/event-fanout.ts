import type { TaskEvent } from '../../domain.js'
import type { TaskEventListener, TaskEventSource } from '../../engine/interfaces.js'

/** The events every "my tasks" listener gets: each names its task's owner. */
export type TaskChange = Extract<TaskEvent, { type: 'task.status' | 'task.progress' }>

/**
 * One bus subscription for the whole WebSocket side, handing each event only to the listeners of its task
 * (and every status or progress change to the "my tasks" listeners), so a publish costs the number of
 * interested connections, not the number of connections. A listener that throws is logged and skipped:
 * it must not stop the others nor the publisher.
 */
export class EventFanout {
  private readonly byTask = new Map<number, { listeners: Set<TaskEventListener>; unfollow: () => void }>()
  private readonly taskChanges = new Set<(event: TaskChange) => void>()
  private readonly unsubscribe: () => void

  constructor(private readonly source: Pick<TaskEventSource, 'subscribe' | 'follow'>, private readonly onListenerError: (error: unknown) => void) {
    this.unsubscribe = source.subscribe((event) => this.dispatch(event))
  }

  /** Listens to every event of one task (the source is told the task is followed); returns the way to stop. */
  onTask(taskId: number, listener: TaskEventListener): () => void {
    const followed = this.byTask.get(taskId) ?? this.startFollowing(taskId)
    followed.listeners.add(listener)
    return () => {
      followed.listeners.delete(listener)
      if (followed.listeners.size === 0 && this.byTask.get(taskId) === followed) {
        this.byTask.delete(taskId)
        followed.unfollow()
      }
    }
  }

  private startFollowing(taskId: number): { listeners: Set<TaskEventListener>; unfollow: () => void } {
    const followed = { listeners: new Set<TaskEventListener>(), unfollow: this.source.follow?.(taskId) ?? (() => {}) }
    this.byTask.set(taskId, followed)
    return followed
  }

  /** Listens to the status and progress changes of every task. */
  onTaskChanges(listener: (event: TaskChange) => void): () => void {
    this.taskChanges.add(listener)
    return () => this.taskChanges.delete(listener)
  }

  close(): void {
    this.unsubscribe()
    for (const { unfollow } of this.byTask.values()) unfollow()
    this.byTask.clear()
    this.taskChanges.clear()
  }

  private dispatch(event: TaskEvent): void {
    const followed = this.byTask.get(event.task_id)
    if (followed) for (const listener of [...followed.listeners]) this.call(listener, event)
    if (event.type === 'task.status' || event.type === 'task.progress') {
      for (const listener of [...this.taskChanges]) this.call(listener, event)
    }
  }

  private call<E extends TaskEvent>(listener: (event: E) => void, event: E): void {
    try {
      listener(event)
    } catch (error) {
      this.onListenerError(error)
    }
  }
}
