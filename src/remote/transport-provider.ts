import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { Db } from '../db/connect.js'
import { LocalTransport } from './local/local-transport.js'
import { TransportError, type Transport } from './transport.js'
import { loadHostsFile, type NamedHost } from './hosts.js'
import { createHostKeyPolicy } from './ssh/host-key-policy.js'
import { ConnectionPool } from './ssh/connection-pool.js'
import type { ConnectionOptions } from './ssh/host-connection.js'
import { SshTransport, type SshTransportOptions } from './ssh/ssh-transport.js'

export interface HostStatus {
  host: string
  /** True after `downAfter` consecutive failed connection attempts: tasks needing the host should pause. */
  down: boolean
  consecutiveFailures: number
  lastError: { kind: string; message: string } | null
  connected: boolean
}

export interface TransportProvider {
  get(host: string): Transport
  /** Same as get; the engine's name for it. */
  transportFor(host: string): Transport
  hostStatus(host: string): HostStatus
  isHostDown(host: string): boolean
  readonly hosts: ReadonlyMap<string, NamedHost>
  close(): void
}

export interface ProviderDeps {
  config: Pick<Config, 'HOSTS_FILE' | 'KNOWN_HOSTS_FILE' | 'KNOWN_HOSTS_POLICY'>
  db: Db
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'>
  /** Where password_env / passphrase_env / SSH_AUTH_SOCK are read (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Failed connection attempts in a row after which a host counts as down (default 3). */
  downAfter?: number
  connection?: Pick<ConnectionOptions, 'backoffBaseMs' | 'backoffMaxMs'>
  ssh?: SshTransportOptions
  local?: Transport
}

/**
 * Transports by host name: `local` (or a host with transport "local") runs here; every other host gets an
 * SshTransport over the shared connection pool.
 */
export function createTransportProvider(deps: ProviderDeps): TransportProvider {
  const hosts = loadHostsFile(deps.config.HOSTS_FILE)
  const policy = createHostKeyPolicy({ db: deps.db, policy: deps.config.KNOWN_HOSTS_POLICY, knownHostsFile: deps.config.KNOWN_HOSTS_FILE })
  const pool = new ConnectionPool(hosts, { env: deps.env ?? process.env, policy, logger: deps.logger, ...deps.connection })
  const local = deps.local ?? new LocalTransport()
  const transports = new Map<string, Transport>()
  const downAfter = deps.downAfter ?? 3

  const get = (name: string): Transport => {
    if (name === 'local' || hosts.get(name)?.transport === 'local') return local
    let transport = transports.get(name)
    if (!transport) {
      if (!hosts.has(name)) throw new TransportError('unknown_host', `host "${name}" is not in HOSTS_FILE (${deps.config.HOSTS_FILE})`, name, false)
      transport = new SshTransport(pool.get(name), deps.ssh)
      transports.set(name, transport)
    }
    return transport
  }
  const hostStatus = (name: string): HostStatus => {
    const health = hosts.has(name) ? pool.get(name).health() : null
    const failures = health?.consecutiveFailures ?? 0
    const last = health?.lastError ?? null
    return {
      host: name, down: failures >= downAfter, consecutiveFailures: failures,
      lastError: last && { kind: last.kind, message: last.message }, connected: health?.connected ?? false,
    }
  }
  return {
    hosts, get, transportFor: get, hostStatus,
    isHostDown: (name) => hostStatus(name).down,
    close: () => pool.close(),
  }
}
