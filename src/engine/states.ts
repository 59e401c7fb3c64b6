import type { TaskStatus } from '../domain.js'

/**
 * The task state table. Every status change goes through `transitionTask`, whose UPDATE is guarded by the
 * states listed here, so two concurrent requests cannot both move the same task.
 */
export const transitions: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  pending: ['queued', 'cancelling'],
  queued: ['running', 'cancelling'],
  // running → paused: a `pause_after` checkpoint or a restart that interrupted a step; running → queued: recovery
  running: ['pausing', 'paused', 'queued', 'success', 'failed', 'cancelling'],
  // the step that was running when the pause came may still end the task
  pausing: ['paused', 'success', 'failed', 'cancelling'],
  paused: ['queued', 'cancelling'],
  cancelling: ['cancelled'],
  cancelled: [],
  success: [],
  failed: [],
}

export const finalStatuses: readonly TaskStatus[] = ['success', 'failed', 'cancelled']

export function isFinal(status: TaskStatus): boolean {
  return finalStatuses.includes(status)
}

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return transitions[from].includes(to)
}

/** Every status from which `to` may be reached, optionally narrowed to `only`. */
export function sourcesOf(to: TaskStatus, only?: readonly TaskStatus[]): TaskStatus[] {
  return (Object.keys(transitions) as TaskStatus[])
    .filter((from) => transitions[from].includes(to) && (!only || only.includes(from)))
}
