import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { Db } from '../db/connect.js'
import type { TaskEventSource } from '../engine/interfaces.js'
import { probes } from '../probes.js'
import type { HostPoolState } from '../remote/transport-provider.js'
import { serviceVersion } from '../version.js'
import { registerHostMetrics } from './host-metrics.js'
import { registerJobMetrics } from './job-metrics.js'
import { registerTaskMetrics } from './task-metrics.js'

export interface MetricSources {
  db: Db
  events: Pick<TaskEventSource, 'subscribe'>
  workflows: () => readonly { name: string; runnable: boolean }[]
  /** The SSH hosts' pools; absent (no HOSTS_FILE transports), no host is shown. */
  hostPools?: () => readonly HostPoolState[]
}

export interface LiveStats { clients: number; subscriptions: number }

const httpBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const flushBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

/**
 * Every metric of the service in one registry of its own (not prom-client's global one, so two apps in one
 * process do not mix). Most values are read at scrape time from what the service already holds; close() stops
 * the subscriptions that count as things happen.
 */
export class ServiceMetrics {
  readonly registry = new Registry()
  readonly #stops: Array<() => void> = []
  readonly #live = new Set<() => LiveStats>()
  readonly #http: Histogram<'method' | 'route' | 'status_code'>

  constructor(sources: MetricSources) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    new Gauge({ name: 'topup_build_info', help: 'The running version (value 1)', labelNames: ['version'], registers })
      .set({ version: serviceVersion }, 1)
    new Gauge({
      name: 'topup_workflows_loaded', help: 'Workflow definitions loaded, by whether every step type they use is implemented',
      labelNames: ['runnable'], registers,
      collect() {
        const all = sources.workflows()
        const runnable = all.filter((w) => w.runnable).length
        this.set({ runnable: 'true' }, runnable)
        this.set({ runnable: 'false' }, all.length - runnable)
      },
    })
    this.#stops.push(registerTaskMetrics(this.registry, {
      db: sources.db, events: sources.events, workflowNames: () => sources.workflows().map((w) => w.name),
    }))
    this.#stops.push(registerJobMetrics(this.registry, sources.db, sources.events))
    this.#stops.push(registerHostMetrics(this.registry, sources.hostPools ?? (() => [])))

    const live = this.#live
    const liveGauge = (name: string, help: string, key: keyof LiveStats) => new Gauge({
      name, help, registers,
      collect() { this.set([...live].reduce((sum, stats) => sum + stats()[key], 0)) },
    })
    liveGauge('topup_websocket_clients', 'Open WebSocket clients of /api/ws', 'clients')
    liveGauge('topup_websocket_subscriptions', 'Task subscriptions of the WebSocket clients (a task-list feed counts as one)', 'subscriptions')

    const flush = new Histogram({
      name: 'topup_log_flush_duration_seconds', help: 'Time to write one batch of buffered task log lines (one transaction)',
      buckets: flushBuckets, registers,
    })
    this.#stops.push(probes.logFlush.subscribe(({ seconds }) => flush.observe(seconds)))
    this.#http = new Histogram({
      name: 'topup_http_request_duration_seconds', help: 'HTTP requests by method, route (its pattern) and status code, with their latency',
      labelNames: ['method', 'route', 'status_code'], buckets: httpBuckets, registers,
    })
  }

  /** `route` is the matched pattern (`/api/tasks/:id`), never the raw URL, so the label set stays small. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.#http.observe({ method, route, status_code: String(statusCode) }, seconds)
  }

  /** Counts a WebSocket hub's clients at each scrape; returns the unregister. */
  watchLive(stats: () => LiveStats): () => void {
    this.#live.add(stats)
    return () => { this.#live.delete(stats) }
  }

  get contentType(): string {
    return this.registry.contentType
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }

  close(): void {
    for (const stop of this.#stops.splice(0)) stop()
    this.registry.clear()
  }
}
