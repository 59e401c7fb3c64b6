import { LocalTransport } from '../remote/local/local-transport.js'
import { TransportError, type Transport } from '../remote/transport.js'

/** Gives the transport of a host named in HOSTS_FILE (the SSH pool); `local` is handled by the engine. */
export interface TransportProvider {
  transportFor(host: string): Transport
  /** How the host's connection fares; `down` after consecutive failed connection attempts. */
  hostStatus?(host: string): { down: boolean; lastError: { kind: string; message: string } | null }
}

export type TransportFor = (host: string | undefined) => Transport

/** Why a host counts as down ("host beslogin unreachable: jump_host_down: …"), or null while it does not. */
export type HostDownCheck = (host: string | undefined) => string | null

export function transportFactory(provider: TransportProvider | undefined, local: Transport = new LocalTransport()):
  TransportFor {
  return (host) => {
    if (host === undefined || host === 'local') return local
    if (!provider) {
      throw new TransportError('unknown_host', `no transport is configured for host "${host}"`, host, false)
    }
    return provider.transportFor(host)
  }
}

export function hostDownCheck(provider: TransportProvider | undefined): HostDownCheck {
  return (host) => {
    if (host === undefined || host === 'local' || !provider?.hostStatus) return null
    const status = provider.hostStatus(host)
    if (!status.down) return null
    const last = status.lastError
    return `host ${host} unreachable: ${last ? `${last.kind}: ${last.message}` : 'repeated connection failures'}`
  }
}
