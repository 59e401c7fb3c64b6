import { freshDatabase } from '../helpers/db.js'
import type { SshSite, HostEntry } from '../helpers/ssh-site.js'
import { createTransportProvider, type ProviderDeps, type TransportProvider } from '../../src/remote/transport-provider.js'
import type { Db } from '../../src/db/connect.js'

interface Teardown { teardown(fn: () => unknown): void }

/** A transport provider for the test site, with its own database; closed when the test ends. */
export function siteProvider(t: Teardown, site: SshSite, options: {
  policy?: 'strict' | 'accept-new'
  knownHosts?: string[] | null
  extraHosts?: Record<string, HostEntry>
  db?: Db
  env?: NodeJS.ProcessEnv
} & Partial<Pick<ProviderDeps, 'downAfter' | 'ssh' | 'connection'>> = {}): { provider: TransportProvider; db: Db } {
  const db = options.db ?? freshDatabase(t).db
  const provider = createTransportProvider({
    config: {
      HOSTS_FILE: site.writeHostsFile(options.extraHosts),
      KNOWN_HOSTS_FILE: options.knownHosts === null ? undefined : site.writeKnownHosts(options.knownHosts ?? site.knownHostsLines),
      KNOWN_HOSTS_POLICY: options.policy ?? 'strict',
    },
    db,
    env: options.env ?? site.env,
    connection: options.connection ?? { backoffBaseMs: 50, backoffMaxMs: 200 },
    ...(options.downAfter === undefined ? {} : { downAfter: options.downAfter }),
    ...(options.ssh === undefined ? {} : { ssh: options.ssh }),
  })
  t.teardown(() => provider.close())
  return { provider, db }
}

/** Runs a command and collects its lines. */
export async function runCollect(provider: TransportProvider, host: string, command: string, signal = AbortSignal.timeout(60_000)) {
  const stdout: string[] = []
  const stderr: string[] = []
  const result = await provider.get(host).run({
    command, signal, onLine: (stream, line) => (stream === 'stdout' ? stdout : stderr).push(line),
  })
  return { ...result, stdout, stderr }
}
