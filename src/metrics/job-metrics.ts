import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { Db } from '../db/connect.js'
import { isFinishedJob } from '../domain.js'
import type { TaskEventSource } from '../engine/interfaces.js'
import { probes } from '../probes.js'
import { activeJobCounts } from './queries.js'

const pollBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

/**
 * The cluster jobs the batch systems hold now, by host, system and state, from the database at each scrape; the
 * jobs that ended counted from their job.state events (the finished ones pile up over the years: counting them
 * in the database would scan them all at every scrape); the status polls as they end. Returns the unsubscribe.
 */
export function registerJobMetrics(registry: Registry, db: Db, events: Pick<TaskEventSource, 'subscribe'>): () => void {
  const registers = [registry]
  new Gauge({
    name: 'topup_cluster_jobs', help: 'Cluster jobs the batch systems hold now (queued, running, held, suspended), by host, system and state',
    labelNames: ['host', 'system', 'state'], registers,
    async collect() {
      this.reset()
      for (const c of await activeJobCounts(db)) this.set({ host: c.host, system: c.system, state: c.state }, Number(c.count))
    },
  })
  const finished = new Counter({
    name: 'topup_cluster_jobs_finished_total', help: 'Cluster jobs that ended, by host, system and final state (completed, failed, removed, lost)',
    labelNames: ['host', 'system', 'state'], registers,
  })
  const duration = new Histogram({
    name: 'topup_cluster_job_poll_duration_seconds', help: 'Duration of one status poll of a host\'s batch system (queue and history commands)',
    labelNames: ['host', 'system', 'outcome'], buckets: pollBuckets, registers,
  })
  const failures = new Counter({
    name: 'topup_cluster_job_poll_failures_total', help: 'Status polls that failed (host unreachable, tool error, unreadable output)',
    labelNames: ['host', 'system'], registers,
  })
  const stops = [
    probes.jobPoll.subscribe(({ host, system, seconds, ok }) => {
      duration.observe({ host, system, outcome: ok ? 'ok' : 'failed' }, seconds)
      if (!ok) failures.inc({ host, system })
    }),
    events.subscribe((event) => {
      // Once per job: a finished job's later correction (an exit code learned from the history) is not a second end.
      if (event.type === 'job.state' && isFinishedJob(event.data.state) && !(event.data.previous && isFinishedJob(event.data.previous))) {
        finished.inc({ host: event.data.host, system: event.data.system, state: event.data.state })
      }
    }),
  ]
  return () => { for (const stop of stops) stop() }
}
