import type { Config } from '../config.js'
import type { Db } from '../db/connect.js'
import { transitions } from '../engine/task-state.js'
import type { TaskSnapshots } from '../engine/task-snapshots.js'
import { AppError } from '../errors.js'
import type { HostTransports } from '../remote/transport-provider.js'
import type { WorkflowCatalog } from '../workflows/sync.js'
import { latestTasksByDay, type DayTask } from './day-records.js'
import { ListingCache } from './listing-cache.js'
import { DAY_WORKFLOW, dayFolders } from './site-folders.js'
import { listSite, type SiteListing } from './site-listing.js'

export interface Day {
  day: string
  /** The site has the day's InjSigTimeCal folder; null when the work area could not be listed. */
  processed: boolean | null
  /** The day `next_day` names. */
  next: boolean
  task: DayTask | null
}

export interface DayList {
  round: string
  host: string
  raw_data_dir: string
  job_dir: string
  /** When the site was listed; `cached`: an earlier request's listing, younger than DAYS_CACHE_SECONDS. */
  listed_at: string
  cached: boolean
  warning: string | null
  /** The earliest day the site has not processed and no unfinished task is working on. */
  next_day: string | null
  total: number
  processed_count: number | null
  unprocessed_count: number | null
  days: Day[]
}

export interface DayListDeps {
  db: Db
  /** The tasks' workflow snapshots, for the name of each day's current step. */
  snapshots: Pick<TaskSnapshots, 'of'>
  workflows: WorkflowCatalog
  config: Pick<Config, 'siteVars' | 'DAYS_CACHE_SECONDS'>
  transports: Pick<HostTransports, 'transportFor'>
  /** The cache's clock (tests). */
  now?: () => number
}

/** A status no transition leaves: the task will never work on its day again. */
const isFinished = (task: DayTask) => transitions[task.status].length === 0

/**
 * The days of a round: the site's folders (one listing per round, kept for DAYS_CACHE_SECONDS) with the
 * service's own record of each day, read fresh on every request.
 */
export function createDayList(deps: DayListDeps) {
  const cache = new ListingCache<SiteListing>(deps.config.DAYS_CACHE_SECONDS * 1000, deps.now)

  async function list(round: string, options: { refresh?: boolean } = {}): Promise<DayList> {
    const workflow = deps.workflows.get(DAY_WORKFLOW)
    if (!workflow) throw new AppError('service_unavailable', `workflow ${DAY_WORKFLOW} is not loaded: its site variables name the folders of the days`)
    const folders = dayFolders(workflow.definition, deps.config.siteVars, round)
    const { value: site, cached } = await cache.get(JSON.stringify(folders), () => listSite(deps.transports, folders), options.refresh)
    const tasks = await latestTasksByDay(deps.db, deps.snapshots, DAY_WORKFLOW, round, site.raw)
    const processed = site.processed && new Set(site.processed)
    const days: Day[] = site.raw.map((day) => ({ day, processed: processed ? processed.has(day) : null, next: false, task: tasks.get(day) ?? null }))
    const next = days.find((d) => d.processed === false && (d.task === null || isFinished(d.task)))
    if (next) next.next = true
    const processedCount = processed ? days.filter((d) => d.processed).length : null
    return {
      round, host: folders.host, raw_data_dir: folders.rawDataDir, job_dir: folders.jobDir,
      listed_at: site.listedAt, cached, warning: site.warning, next_day: next?.day ?? null,
      total: days.length, processed_count: processedCount,
      unprocessed_count: processedCount === null ? null : days.length - processedCount,
      days,
    }
  }

  return { list }
}

export type DayLister = ReturnType<typeof createDayList>
