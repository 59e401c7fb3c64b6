import { userInfo } from 'node:os'
import type { Logger } from 'pino'
import { passthroughEntries, type Config } from '../config.js'
import type { Db } from '../db/connect.js'
import { LocalTransport } from './local/local-transport.js'
import { TransportError, type Transport } from './transport.js'
import { loadHostsFile, secretVariables, type NamedHost } from './hosts.js'
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

/** A host's status with its channel budget: what /metrics and /api/ready show of the pool. */
export interface HostPoolState extends HostStatus {
  channelsInUse: number
  channelsQueued: number
  maxSessions: number
}

export interface TransportProvider {
  /**
   * The transport of a step's host: `local` — or no host, or a host whose transport is "local" — runs here; a
   * host of HOSTS_FILE gets an SshTransport over the shared pool; any other name throws unknown_host.
   */
  transportFor(host: string | undefined): Transport
  /** Why the host counts as down ("host beslogin unreachable: jump_host_down: …"), or null while it does not. */
  hostDown(host: string | undefined): string | null
  hostStatus(host: string): HostStatus
  /** Every SSH host of HOSTS_FILE (not the local ones), as its pooled connection is now. */
  hostPools(): HostPoolState[]
  /** The account commands run as on the host (whose jobs a batch queue lists). */
  userOf(host: string | undefined): string
  readonly hosts: ReadonlyMap<string, NamedHost>
  close(): void
}

/** What the engine asks of the hosts. */
export type HostTransports = Pick<TransportProvider, 'transportFor' | 'hostDown' | 'userOf'>

/** Runs on this machine: `local`, or a host of HOSTS_FILE whose transport is "local". */
const isLocal = (host: string, hosts?: ReadonlyMap<string, NamedHost>) => host === 'local' || hosts?.get(host)?.transport === 'local'

/** Transports when no host of HOSTS_FILE is wanted (an engine of local steps only, tests): `local` alone. */
export function localTransports(local: Transport = new LocalTransport()): HostTransports {
  return {
    transportFor: (host) => {
      if (host === undefined || isLocal(host)) return local
      throw new TransportError('unknown_host', `no transport is configured for host "${host}"`, host, false)
    },
    hostDown: () => null,
    userOf: () => userInfo().username,
  }
}

export interface ProviderDeps {
  config: Pick<Config, 'HOSTS_FILE' | 'KNOWN_HOSTS_FILE' | 'KNOWN_HOSTS_POLICY'> & Partial<Pick<Config, 'STEP_ENV_PASSTHROUGH'>>
  db: Db
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'>
  /** Where password_env / passphrase_env / SSH_AUTH_SOCK are read (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Failed connection attempts in a row after which a host counts as down (default 3). */
  downAfter?: number
  connection?: Pick<ConnectionOptions, 'backoffBaseMs' | 'backoffMaxMs'>
  ssh?: SshTransportOptions
  local?: Transport
  /** More variables local commands never get, beside the hosts' password variables (the notification keys). */
  withhold?: readonly string[]
}

/** The transports of the hosts in HOSTS_FILE (one SSH connection pool, one host-key policy), and `local`. */
export function createTransportProvider(deps: ProviderDeps): TransportProvider {
  const hosts = loadHostsFile(deps.config.HOSTS_FILE)
  const policy = createHostKeyPolicy({ db: deps.db, policy: deps.config.KNOWN_HOSTS_POLICY, knownHostsFile: deps.config.KNOWN_HOSTS_FILE })
  const pool = new ConnectionPool(hosts, { env: deps.env ?? process.env, policy, logger: deps.logger, ...deps.connection })
  const local = deps.local ?? new LocalTransport({
    ...(deps.config.STEP_ENV_PASSTHROUGH === undefined ? {} : { passthrough: passthroughEntries(deps.config.STEP_ENV_PASSTHROUGH) }),
    withhold: [...secretVariables(hosts), ...deps.withhold ?? []],
  })
  const transports = new Map<string, Transport>()
  const downAfter = deps.downAfter ?? 3

  const transportFor = (name: string | undefined): Transport => {
    if (name === undefined || isLocal(name, hosts)) return local
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
  const hostDown = (name: string | undefined): string | null => {
    if (name === undefined || isLocal(name, hosts)) return null
    const status = hostStatus(name)
    if (!status.down) return null
    const last = status.lastError
    return `host ${name} unreachable: ${last ? `${last.kind}: ${last.message}` : 'repeated connection failures'}`
  }
  const userOf = (name: string | undefined) =>
    name === undefined || isLocal(name, hosts) ? userInfo().username : hosts.get(name)?.username ?? userInfo().username
  const hostPools = () => [...hosts.keys()].filter((name) => !isLocal(name, hosts)).map((name): HostPoolState => {
    const { budget } = pool.get(name)
    return { ...hostStatus(name), channelsInUse: budget.inUse, channelsQueued: budget.waiting, maxSessions: budget.limit }
  })
  return { hosts, transportFor, hostDown, hostStatus, hostPools, userOf, close: () => pool.close() }
}
