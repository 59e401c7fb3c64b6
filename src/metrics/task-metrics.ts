import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { Db } from '../db/connect.js'
import { taskStatuses, type TaskEvent } from '../domain.js'
import type { TaskEventSource } from '../engine/interfaces.js'
import { attemptOf, reviewWaits, taskCounts, taskTimes, workflowOfTask } from './queries.js'

const MINUTE = 60
const HOUR = 3600
/** Steps run from seconds (a file check) to many hours (a wait for the cluster). */
const stepBuckets = [1, 5, 15, MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 24 * HOUR]
/** A daily task takes minutes to a day (a review pause included). */
const taskBuckets = [MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, 24 * HOUR, 48 * HOUR]
const taskOutcomes = ['success', 'failed', 'cancelled'] as const
const isTaskOutcome = (status: string): status is (typeof taskOutcomes)[number] => (taskOutcomes as readonly string[]).includes(status)

export interface TaskMetricSources {
  db: Db
  events: Pick<TaskEventSource, 'subscribe'>
  /** The workflows loaded: their finished-task counters exist from the start, at 0. */
  workflowNames: () => string[]
}

/**
 * Tasks by status and the review waits are read from the database at each scrape; durations, outcomes, retries
 * and the events written are counted from the event bus as they happen (since the start of the process).
 * Returns the unsubscribe.
 */
export function registerTaskMetrics(registry: Registry, sources: TaskMetricSources): () => void {
  const { db } = sources
  const registers = [registry]
  new Gauge({
    name: 'topup_tasks', help: 'Tasks by workflow and status (from the database)', labelNames: ['workflow', 'status'], registers,
    async collect() {
      this.reset()
      const counts = await taskCounts(db)
      for (const workflow of new Set([...sources.workflowNames(), ...counts.map((c) => c.workflow_name)])) {
        for (const status of taskStatuses) this.set({ workflow, status }, 0)
      }
      for (const c of counts) this.set({ workflow: c.workflow_name, status: c.status }, Number(c.count))
    },
  })
  new Gauge({
    name: 'topup_tasks_waiting_review', help: 'Tasks paused at a review point, waiting for a person', labelNames: ['workflow'], registers,
    async collect() {
      this.reset()
      for (const workflow of sources.workflowNames()) this.set({ workflow }, 0)
      for (const w of await reviewWaits(db)) this.set({ workflow: w.workflow_name }, Number(w.count))
    },
  })
  new Gauge({
    name: 'topup_review_wait_oldest_seconds', labelNames: ['workflow'], registers,
    help: 'How long the longest-waiting task paused for review has waited (absent when none waits)',
    async collect() {
      this.reset()
      const now = Date.now()
      for (const w of await reviewWaits(db)) {
        if (w.since) this.set({ workflow: w.workflow_name }, Math.max(0, (now - Date.parse(w.since)) / 1000))
      }
    },
  })

  const finished = new Counter({
    name: 'topup_tasks_finished_total', help: 'Tasks that ended, by workflow and outcome (success, failed, cancelled)',
    labelNames: ['workflow', 'outcome'], registers,
  })
  const taskDuration = new Histogram({
    name: 'topup_task_duration_seconds', help: 'Time from a task\'s start to its end, by workflow and outcome',
    labelNames: ['workflow', 'outcome'], buckets: taskBuckets, registers,
  })
  const stepDuration = new Histogram({
    name: 'topup_step_duration_seconds', help: 'Duration of one attempt of a step, by workflow, step and outcome (the attempt\'s status)',
    labelNames: ['workflow', 'step', 'outcome'], buckets: stepBuckets, registers,
  })
  const retries = new Counter({
    name: 'topup_step_retries_total', help: 'Step attempts that failed and were scheduled again', labelNames: ['workflow', 'step'], registers,
  })
  const written = new Counter({
    name: 'topup_events_written_total', help: 'Task events committed to the database, by type (log: log lines)', labelNames: ['type'], registers,
  })
  // A counter that appears only at its first increment hides that increment from increase(): start them at 0.
  for (const workflow of sources.workflowNames()) for (const outcome of taskOutcomes) finished.inc({ workflow, outcome }, 0)

  const onEvent = async (event: TaskEvent) => {
    written.inc({ type: event.type })
    if (event.type === 'task.status' && isTaskOutcome(event.data.status)) {
      const task = await taskTimes(db, event.task_id)
      if (!task) return
      const outcome = event.data.status
      finished.inc({ workflow: task.workflow_name, outcome })
      if (task.started_at && task.completed_at) {
        taskDuration.observe({ workflow: task.workflow_name, outcome },
          Math.max(0, (Date.parse(task.completed_at) - Date.parse(task.started_at)) / 1000))
      }
    } else if (event.type === 'step.finished') {
      const attempt = await attemptOf(db, event.data.execution_id)
      if (attempt?.duration_seconds == null) return
      stepDuration.observe({ workflow: attempt.workflow_name, step: attempt.step_name, outcome: event.data.status }, attempt.duration_seconds)
    } else if (event.type === 'step.retry') {
      const task = await workflowOfTask(db, event.task_id)
      if (task) retries.inc({ workflow: task.workflow_name, step: event.data.step_id })
    }
  }
  // A measurement lost to a database error needs no log line of its own: that error shows everywhere else.
  return sources.events.subscribe((event) => { void onEvent(event).catch(() => {}) })
}
