import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { probes } from '../probes.js'
import type { HostPoolState } from '../remote/transport-provider.js'

/** Channel confirmations take milliseconds on a LAN, more through a jump host, seconds when sshd is loaded. */
const execBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * The SSH pool per host of HOSTS_FILE, read at each scrape; connect failures and exec latency counted from the
 * pool's probes as they happen. Returns the unsubscribe.
 */
export function registerHostMetrics(registry: Registry, hostPools: () => readonly HostPoolState[]): () => void {
  const registers = [registry]
  const gauge = (name: string, help: string, value: (pool: HostPoolState) => number) => new Gauge({
    name, help, labelNames: ['host'], registers,
    collect() {
      this.reset()
      for (const pool of hostPools()) this.set({ host: pool.host }, value(pool))
    },
  })
  gauge('topup_ssh_connections', 'Open pooled SSH connections to the host (0 or 1)', (p) => Number(p.connected))
  gauge('topup_ssh_channels_in_use', 'Session channels open on the host\'s connection', (p) => p.channelsInUse)
  gauge('topup_ssh_channels_queued', 'Commands waiting for a free session channel on the host', (p) => p.channelsQueued)
  gauge('topup_ssh_max_sessions', 'The host\'s channel limit (max_sessions of HOSTS_FILE)', (p) => p.maxSessions)
  gauge('topup_ssh_host_down', '1 while the host counts as down (connection attempts failed in a row; its tasks pause)', (p) => Number(p.down))

  const failures = new Counter({
    name: 'topup_ssh_connect_failures_total', help: 'Failed SSH connection attempts, by host and kind (auth_failed, timeout, jump_host_down, …)',
    labelNames: ['host', 'kind'], registers,
  })
  const latency = new Histogram({
    name: 'topup_ssh_exec_latency_seconds', help: 'Time from asking a host for an exec channel to its confirmation',
    labelNames: ['host'], buckets: execBuckets, registers,
  })
  const stops = [
    probes.sshConnectFailed.subscribe(({ host, kind }) => failures.inc({ host, kind })),
    probes.sshExecOpened.subscribe(({ host, seconds }) => latency.observe({ host }, seconds)),
  ]
  return () => { for (const stop of stops) stop() }
}
