import { resolve } from 'node:path'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { Db } from '../db/connect.js'
import { readEvents } from '../db/event-repository.js'
import { storageFault } from '../db/storage-fault.js'
import { findTask, taskStatus } from '../db/task-repository.js'
import type { TaskWithSnapshot } from '../db/tables.js'
import { AppError } from '../errors.js'
import { localTransports, type HostTransports } from '../remote/transport-provider.js'
import type { StepTable } from '../steps/registry.js'
import { EventBus } from './bus.js'
import { finishCancel } from './cancellation.js'
import { EventStore, LOG_FLUSH_MS } from './event-store.js'
import { recoverTasks, type RecoveryReport } from './recovery.js'
import type { TaskControl, TaskEventSource } from './interfaces.js'
import { applyResume, planResume, rerunSteps } from './resume.js'
import { JobTracker } from './job-tracker.js'
import { pollTiming, type JobPollConfig } from './job-timing.js'
import { TaskJobs } from './task-jobs.js'
import { runTask } from './runner.js'
import { Scheduler } from './scheduler.js'
import { StopHandle } from './stop-handle.js'
import { BackgroundRetries, storageRetryPolicy } from './storage-hold.js'
import { transitionTask } from './task-state.js'
import { HEARTBEAT_MS, staleRunners, type StaleRunner } from './heartbeat.js'

export type EngineConfig = Pick<Config, 'MAX_PARALLEL_TASKS' | 'DEFAULT_TIMEOUT_MINUTES' | 'MAX_RETRY_ATTEMPTS' |
  'RETRY_DELAY_SECONDS' | 'RETRY_MAX_DELAY_SECONDS' | 'SHUTDOWN_GRACE_SECONDS' | 'STORAGE_RETRY_MAX_SECONDS' | 'siteVars' |
  'DATA_DIR' | 'REMOTE_RUNS_DIR'> &
  JobPollConfig

export interface EngineDeps {
  db: Db
  config: EngineConfig
  logger: Logger
  steps: StepTable
  /** The hosts' transports (remote/transport-provider.ts); default: `local` only. */
  transports?: HostTransports
  /** How often a running step stamps heartbeat_at (default 15 s). */
  heartbeatMs?: number
  /** A job_poll_min_seconds of the host's own (HOSTS_FILE), when it has one. */
  hostPollMinSeconds?: (host: string) => number | undefined
}

/** The task engine: the API sees it only through TaskControl and its `events` (interfaces.ts). */
export interface Engine extends TaskControl {
  readonly bus: EventBus
  readonly store: EventStore
  readonly events: TaskEventSource
  /** The cluster jobs of every task and their pollers. */
  readonly jobs: JobTracker
  recover(): Promise<RecoveryReport>
  /** Stops claiming, lets running steps reach a safe point within the grace, then aborts them; flushes logs. */
  shutdown(graceMs?: number): Promise<void>
  /**
   * Steps recorded as running whose heartbeat is older than STALE_AFTER_BEATS beats at `now`: a runner that is
   * stuck, or gone without closing its execution (for a health report).
   */
  staleRunners(now?: Date): Promise<StaleRunner[]>
  /** Ids of the tasks a runner is working on. */
  running(): number[]
  /** Resolves when no runner is working (tests). */
  idle(): Promise<void>
}

export function createEngine(deps: EngineDeps): Engine {
  const { db, config, logger } = deps
  const bus = new EventBus((error, event) =>
    logger.warn({ err: error, task_id: event.task_id, seq: event.seq }, 'an event listener failed'))
  const store = new EventStore(db, bus, (error) => logger.error({ err: error }, 'could not write task log lines'),
    { ...storageRetryPolicy(config), baseDelaySeconds: LOG_FLUSH_MS / 1000 })
  const transports = deps.transports ?? localTransports()
  const tracker = new JobTracker({
    store, transports, logger, timing: (host) => pollTiming(config, deps.hostPollMinSeconds?.(host)),
  })
  const jobs = new TaskJobs({ store, tracker, transports })
  const runs = new Map<number, StopHandle>()
  let shuttingDown = false
  const runnerDeps = {
    db, store, config, steps: deps.steps, transports, logger, jobs, tracker, jobPollFailures: config.JOB_POLL_FAILURES,
    dataDir: resolve(config.DATA_DIR), remoteRunsDir: config.REMOTE_RUNS_DIR, heartbeatMs: deps.heartbeatMs ?? HEARTBEAT_MS,
  }

  const retries = new BackgroundRetries(storageRetryPolicy(config), logger)
  const recoverLater = (taskIds: number[]) => {
    if (taskIds.length > 0) retries.retry('recover tasks', () => recoverAgain(taskIds))
  }
  async function recoverAgain(taskIds: number[]): Promise<void> {
    const report = await recoverTasks({ store, steps: deps.steps, transports, logger, jobs }, taskIds)
    recoverLater(report.unrecorded)
    await scheduler.kick()
  }

  const scheduler = new Scheduler(store, config.MAX_PARALLEL_TASKS, async (task) => {
    const run = new StopHandle(task.id)
    // A claim that was under way when shutdown began: its runner stops at the first step boundary too.
    if (shuttingDown) run.request('shutdown')
    runs.set(task.id, run)
    try {
      await runTask(runnerDeps, task.id, run)
    } finally {
      if (runs.get(task.id) === run) runs.delete(task.id)
    }
  }, logger, storageRetryPolicy(config))

  async function requireTask(taskId: number): Promise<TaskWithSnapshot> {
    const task = await findTask(db, taskId)
    if (!task) throw new AppError('not_found', `task ${taskId} not found`)
    return task
  }

  return {
    bus, store, jobs: tracker,
    events: {
      subscribe: (listener) => bus.subscribe(listener),
      read: (taskId, afterSeq, limit) => readEvents(db, taskId, afterSeq, limit),
      follow: (taskId) => store.follow(taskId),
    },

    async start(taskId, actor) {
      await store.commit((trx, emit) => transitionTask(trx, emit, taskId, 'queued', {
        from: ['pending'], asked: { action: 'start', actor: actor ?? null }, set: { queued_at: new Date().toISOString() },
      }))
      await scheduler.kick()
      return requireTask(taskId)
    },

    async pause(taskId, actor) {
      const row = await store.commit((trx, emit) =>
        transitionTask(trx, emit, taskId, 'pausing', { from: ['running'], asked: { action: 'pause', actor: actor ?? null } }))
      runs.get(taskId)?.request('pause')
      jobs.pause(taskId)
      return row
    },

    async resume(taskId, body = {}, actor) {
      const task = await requireTask(taskId)
      if (task.status !== 'paused') {
        throw new AppError('invalid_transition', `task ${taskId} is ${task.status}: cannot resume`,
          { extra: { current_status: task.status } })
      }
      const plan = await planResume(db, task, body)
      await jobs.resume(taskId, rerunSteps(task, body.retry_from_step))
      await store.commit((trx, emit) => applyResume(trx, emit, task, body, plan, config.siteVars, actor))
      await scheduler.kick()
      return requireTask(taskId)
    },

    async cancel(taskId, actor) {
      const { row, previous } = await store.commit(async (trx, emit) => {
        const previous = await taskStatus(trx, taskId)
        if (!previous) throw new AppError('not_found', `task ${taskId} not found`)
        const asked = { action: 'cancel', actor: actor ?? null } as const
        return { row: await transitionTask(trx, emit, taskId, 'cancelling', { asked }), previous }
      })
      const run = runs.get(taskId)
      if (run && (previous === 'running' || previous === 'pausing')) {
        run.request('cancel')
        return row
      }
      // Nothing runs it here (pending, queued, paused — or running in a process that is gone): end it now.
      return finishCancel(runnerDeps, row).catch((error: unknown) => {
        // the cancel is recorded; its end is not, and no runner would ever write it
        if (storageFault(error)) retries.retry('finish cancelling', async () => { await finishCancel(runnerDeps, row) })
        throw error
      })
    },

    async recover() {
      await tracker.start()
      const report = await recoverTasks({ store, steps: deps.steps, transports, logger, jobs })
      recoverLater(report.unrecorded)
      await scheduler.kick()
      return report
    },

    async shutdown(graceMs = config.SHUTDOWN_GRACE_SECONDS * 1000) {
      shuttingDown = true
      retries.stop()
      scheduler.stop()
      tracker.stop()
      for (const run of runs.values()) run.request('shutdown')
      if (!await settlesWithin(scheduler.idle(), graceMs)) {
        logger.warn({ tasks: [...runs.keys()] }, 'shutdown grace is over: stopping the running steps')
        for (const run of runs.values()) run.abortNow('shutdown')
        await settlesWithin(scheduler.idle(), 15_000)
      }
      await store.flush()
    },

    staleRunners: (now = new Date()) => staleRunners(db, now, runnerDeps.heartbeatMs, (taskId) => runs.has(taskId)),
    running: () => scheduler.running,
    idle: () => scheduler.idle(),
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms) })
  try {
    return await Promise.race([promise.then(() => true as const), timeout])
  } finally {
    clearTimeout(timer)
  }
}
