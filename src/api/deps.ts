import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { Db } from '../db/connect.js'
import { readEvents } from '../db/event-repository.js'
import { TaskSnapshots } from '../engine/task-snapshots.js'
import type { TaskControl, TaskEventSource } from '../engine/interfaces.js'
import { HistoryGate } from './live/history-gate.js'
import { WriteProbe, type ProbeLog } from '../db/write-probe.js'
import { ServiceMetrics } from '../metrics/service-metrics.js'
import type { HostTransports, TransportProvider } from '../remote/transport-provider.js'
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
  /**
   * Commands on the hosts (the list of days reads the site with them); absent, only `local`. With `hostPools`
   * (the server's provider), /api/ready and /metrics show each SSH host's pool.
   */
  transports?: Pick<HostTransports, 'transportFor'> & Partial<Pick<TransportProvider, 'hostPools'>>
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
  /** Whether the database takes writes: probed every STORAGE_PROBE_SECONDS (health) and on demand (ready). */
  writeProbe: WriteProbe
  /** The service's metrics, kept only while METRICS_TOKEN or METRICS_PORT asks for /metrics. */
  metrics?: ServiceMetrics
  /** Tasks' workflow snapshots, parsed once (task rows are read without them). */
  snapshots: TaskSnapshots
}

export function routeDeps(deps: AppDeps, secretKey: string, log?: ProbeLog): RouteDeps {
  const events = deps.events ?? storedEvents(deps.db)
  const historyReads = new HistoryGate({ max: deps.config.HISTORY_READS_MAX, maxWaiting: deps.config.HISTORY_READS_QUEUE })
  const writeProbe = new WriteProbe(deps.db, deps.config.STORAGE_PROBE_SECONDS * 1000, log)
  const wanted = deps.config.METRICS_TOKEN !== undefined || deps.config.METRICS_PORT !== undefined
  const hostPools = deps.transports?.hostPools?.bind(deps.transports)
  const metrics = wanted
    ? new ServiceMetrics({ db: deps.db, events, workflows: () => deps.workflows.list(), ...(hostPools ? { hostPools } : {}) })
    : undefined
  return { ...deps, secretKey, events, historyReads, writeProbe, snapshots: new TaskSnapshots(deps.db), ...(metrics ? { metrics } : {}) }
}

/** Without an engine: the history in the database, and no live pushes. */
function storedEvents(db: Db): TaskEventSource {
  return {
    subscribe: () => () => {},
    read: (taskId, afterSeq, limit) => readEvents(db, taskId, afterSeq, limit),
  }
}
