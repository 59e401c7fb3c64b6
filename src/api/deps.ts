import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { Db } from '../db/connect.js'
import { readEvents } from '../db/event-repository.js'
import type { TaskControl, TaskEventSource } from '../engine/interfaces.js'
import { HistoryGate } from './live/history-gate.js'
import type { HostTransports } from '../remote/transport-provider.js'
import type { Scheduler } from '../schedules/scheduler.js'
import type { WorkflowCatalog } from '../workflows/sync.js'

/** What the app is built from; routes receive it and reach for nothing global. */
export interface AppDeps {
  config: Readonly<Config>
  db: Db
  workflows: WorkflowCatalog
  /** Task lifecycle; absent, tasks can be created and read but not run (start/pause/… answer 503). */
  control?: TaskControl
  /** Task events; absent, history is read from the database and nothing is live. */
  events?: TaskEventSource
  logger?: FastifyBaseLogger
  /** Commands on the hosts (the list of days reads the site with them); absent, only `local`. */
  transports?: Pick<HostTransports, 'transportFor'>
  /** The schedules and their next firings; absent, GET /api/schedules lists none. */
  scheduler?: Pick<Scheduler, 'schedules' | 'nextRuns'>
  /** The token key; by default SECRET_KEY or the generated DATA_DIR/secret.key. */
  secretKey?: string
}

/**
 * What route modules receive: the app's deps with an event source always there (the one door to event history),
 * the resolved token key, and the one bound on history reads that the WebSocket replays and the REST events and
 * logs pages share.
 */
export interface RouteDeps extends AppDeps {
  events: TaskEventSource
  /** The resolved token key (also signs the artifact links). */
  secretKey: string
  historyReads: HistoryGate
}

export function routeDeps(deps: AppDeps, secretKey: string): RouteDeps {
  const historyReads = new HistoryGate({ max: deps.config.HISTORY_READS_MAX, maxWaiting: deps.config.HISTORY_READS_QUEUE })
  return { ...deps, secretKey, events: deps.events ?? storedEvents(deps.db), historyReads }
}

/** Without an engine: the history in the database, and no live pushes. */
function storedEvents(db: Db): TaskEventSource {
  return {
    subscribe: () => () => {},
    read: (taskId, afterSeq, limit) => readEvents(db, taskId, afterSeq, limit),
  }
}
