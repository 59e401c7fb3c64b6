import { LocalTransport } from '../remote/local-transport.js'
import { TransportError, type Transport } from '../remote/transport.js'

/** Gives the transport of a host named in HOSTS_FILE (the SSH pool); `local` is handled by the engine. */
export interface TransportProvider {
  transportFor(host: string): Transport
}

export type TransportFor = (host: string | undefined) => Transport

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
