import { TransportError } from '../transport.js'
import { hostChain, type NamedHost } from '../hosts.js'
import { HostConnection, type ConnectionOptions } from './host-connection.js'

/**
 * One HostConnection per host name. A host's jump is the jump's own pooled connection, so every target behind
 * lxlogin shares one lxlogin connection, and a step that runs on lxlogin itself uses it too.
 */
export class ConnectionPool {
  private readonly connections = new Map<string, HostConnection>()

  constructor(
    private readonly hosts: ReadonlyMap<string, NamedHost>,
    private readonly options: ConnectionOptions,
  ) {}

  get(name: string): HostConnection {
    const existing = this.connections.get(name)
    if (existing) return existing
    const host = this.hosts.get(name)
    if (!host) throw new TransportError('unknown_host', `host "${name}" is not in HOSTS_FILE`, name, false)
    const chain = hostChain(this.hosts, name)
    const parent = host.via === undefined ? null : this.get(host.via)
    const connection = new HostConnection(host, chain, parent, this.options)
    this.connections.set(name, connection)
    return connection
  }

  close(): void {
    // targets first, so their channels through the jumps close before the jumps do
    for (const connection of [...this.connections.values()].reverse()) connection.close()
    this.connections.clear()
  }
}
