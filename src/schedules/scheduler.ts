import type { Logger } from 'pino'
import type { Db } from '../db/connect.js'
import { dayTask, findScheduleRun, lastFireTime, recordScheduleRun } from '../db/schedule-repository.js'
import { scheduleActor } from '../domain.js'
import type { TaskControl } from '../engine/interfaces.js'
import { createTask } from '../engine/task-creation.js'
import { AppError, messageOf } from '../errors.js'
import type { WorkflowCatalog } from '../workflows/sync.js'
import type { Clock } from './clock.js'
import { renderScheduleParameters, renderScheduleValue } from './date-template.js'
import type { Schedule } from './schedule-file.js'

export interface SchedulerDeps {
  db: Db
  workflows: WorkflowCatalog
  siteVars: Readonly<Record<string, string>>
  /** Starts the tasks of schedules with `start`; absent, they stay pending. */
  control?: Pick<TaskControl, 'start'>
  logger: Logger
  clock: Clock
  schedules: readonly Schedule[]
  /** catch_up "all" makes at most this many missed firings (the newest). */
  catchUpMax: number
}

export interface Scheduler {
  /** Every schedule of the file, enabled or not. */
  readonly schedules: readonly Schedule[]
  /** Catches up on what was missed while the service was down, then waits for each schedule's next firing. */
  start(): Promise<void>
  /** No more firings; resolves once the one under way (if any) is done. */
  stop(): Promise<void>
  /** Resolves when every firing due so far has been handled (tests move the clock, then wait on this). */
  settled(): Promise<void>
  /** The next `n` firing times of a schedule, from now. */
  nextRuns(name: string, n: number): Date[]
}

/** A task of the day that is done or under way: the schedule leaves the day alone (failed or cancelled ones do not count). */
const SKIP_UNLESS = ['failed', 'cancelled'] as const

/**
 * Fires each enabled schedule at the times its cron expression gives, in its time zone: renders the parameters
 * for the firing, skips a day a task already covers, creates the task (created_by schedule:<name>) and starts it.
 * Every firing is recorded once (schedule_runs), in the task's own transaction when it makes one, so a restart,
 * a catch-up or a second server can never make a firing's task twice.
 */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const enabled = deps.schedules.filter((s) => s.enabled)
  const cancels = new Map<string, () => void>()
  let stopped = false
  // firings run one at a time, in order: each reads what the one before wrote
  let queue: Promise<void> = Promise.resolve()
  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(work).catch((error) => deps.logger.error({ err: error }, 'schedule firing failed'))
    return queue
  }

  const log = (schedule: Schedule, fireTime: Date, msg: string, extra: Record<string, unknown> = {}) =>
    deps.logger.info({ schedule: schedule.name, fire_time: fireTime.toISOString(), ...extra }, msg)

  async function fire(schedule: Schedule, fireTime: Date): Promise<void> {
    const at = fireTime.toISOString()
    if (await findScheduleRun(deps.db, schedule.name, at)) return
    const record = async (outcome: 'skipped' | 'failed', message: string) => {
      if (await recordScheduleRun(deps.db, { schedule: schedule.name, fire_time: at, outcome, message })) {
        log(schedule, fireTime, `schedule ${outcome}: ${message}`)
      }
    }
    let parameters: Record<string, unknown>
    let taskName: string | undefined
    try {
      parameters = renderScheduleParameters(schedule.parameters, fireTime, schedule.time_zone)
      taskName = schedule.task_name === undefined ? undefined : String(renderScheduleValue(schedule.task_name, fireTime, schedule.time_zone))
    } catch (error) {
      return record('failed', messageOf(error))
    }
    const date = parameters.date_param
    if (typeof date === 'string') {
      const other = await dayTask(deps.db, { workflowName: schedule.workflow, dateParam: date }, SKIP_UNLESS)
      if (other) return record('skipped', `task ${other.id} of ${schedule.workflow} for ${date} is ${other.status}`)
    }
    let taskId: number
    const actor = scheduleActor(schedule.name)
    try {
      const task = await createTask(deps, {
        workflowName: schedule.workflow, taskName, parameters, userId: schedule.user, actor,
      }, async (trx, task) => {
        if (!await recordScheduleRun(trx, { schedule: schedule.name, fire_time: at, outcome: 'created', task_id: task.id })) {
          throw new AlreadyFired()
        }
      })
      taskId = task.id
    } catch (error) {
      if (error instanceof AlreadyFired) return
      return record('failed', error instanceof AppError ? `${error.code}: ${error.message}` : messageOf(error))
    }
    log(schedule, fireTime, 'schedule created a task', { task_id: taskId, parameters })
    if (schedule.start && deps.control) {
      try {
        await deps.control.start(taskId, actor)
      } catch (error) {
        deps.logger.warn({ schedule: schedule.name, task_id: taskId, err: error }, 'a scheduled task could not be started')
      }
    }
  }

  /** What was missed since the last recorded firing, as the schedule's catch_up says. */
  async function catchUp(schedule: Schedule): Promise<void> {
    const last = await lastFireTime(deps.db, schedule.name)
    if (last === null) return // never fired: it begins now
    const now = deps.clock.now()
    const bound = schedule.catch_up === 'all' ? deps.catchUpMax : 1
    // previousRuns counts back from now; one more than the bound tells whether some were dropped
    const missed = schedule.times.previousRuns(bound + 1, now).filter((d) => d.toISOString() > last).reverse()
    if (missed.length === 0) return
    if (schedule.catch_up === 'none') {
      deps.logger.info({ schedule: schedule.name, last_fire_time: last }, 'firings missed while the service was down: not caught up (catch_up none)')
      return
    }
    if (missed.length > bound) {
      deps.logger.warn({ schedule: schedule.name, last_fire_time: last, kept: bound },
        `more firings were missed than catch_up makes: only the newest ${bound} are made`)
    }
    for (const fireTime of missed.slice(-bound)) await enqueue(() => fire(schedule, fireTime))
  }

  function arm(schedule: Schedule, after: Date): void {
    if (stopped) return
    const next = schedule.times.nextRun(after)
    if (!next) return
    cancels.set(schedule.name, deps.clock.at(next, () => {
      void enqueue(() => fire(schedule, next)).then(() => arm(schedule, next))
    }))
  }

  return {
    schedules: deps.schedules,
    async start() {
      for (const schedule of enabled) {
        await catchUp(schedule)
        arm(schedule, deps.clock.now())
        deps.logger.info({ schedule: schedule.name, workflow: schedule.workflow, next: schedule.times.nextRun(deps.clock.now())?.toISOString() ?? null },
          'schedule armed')
      }
    },
    async stop() {
      stopped = true
      for (const cancel of cancels.values()) cancel()
      cancels.clear()
      await queue
    },
    settled: () => queue,
    nextRuns(name, n) {
      const schedule = enabled.find((s) => s.name === name)
      return schedule ? schedule.times.nextRuns(n, deps.clock.now()) : []
    },
  }
}

/** The firing was recorded by someone else between the check and the insert: its task is theirs. */
class AlreadyFired extends Error {}
