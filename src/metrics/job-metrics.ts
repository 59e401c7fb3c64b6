import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { Db } from '../db/connect.js'
import { probes } from '../probes.js'
import { jobCounts } from './queries.js'

const pollBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

/** Cluster jobs by host, system and state from the database at each scrape; the status polls as they end. */
export function registerJobMetrics(registry: Registry, db: Db): () => void {
  const registers = [registry]
  new Gauge({
    name: 'topup_cluster_jobs', help: 'Cluster jobs the steps submitted, by host, batch system and state (from the database)',
    labelNames: ['host', 'system', 'state'], registers,
    async collect() {
      this.reset()
      for (const c of await jobCounts(db)) this.set({ host: c.host, system: c.system, state: c.state }, Number(c.count))
    },
  })
  const duration = new Histogram({
    name: 'topup_cluster_job_poll_duration_seconds', help: 'Duration of one status poll of a host\'s batch system (queue and history commands)',
    labelNames: ['host', 'system', 'outcome'], buckets: pollBuckets, registers,
  })
  const failures = new Counter({
    name: 'topup_cluster_job_poll_failures_total', help: 'Status polls that failed (host unreachable, tool error, unreadable output)',
    labelNames: ['host', 'system'], registers,
  })
  return probes.jobPoll.subscribe(({ host, system, seconds, ok }) => {
    duration.observe({ host, system, outcome: ok ? 'ok' : 'failed' }, seconds)
    if (!ok) failures.inc({ host, system })
  })
}
