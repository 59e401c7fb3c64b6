import { execFileSync } from 'node:child_process'
import { freshDatabase } from '../helpers/db.js'
import { startSshSite, withoutNoise, type SshSite, type HostEntry } from '../helpers/ssh-site.js'
import { createTransportProvider, type ProviderDeps, type TransportProvider } from '../../src/remote/transport-provider.js'
import type { Db } from '../../src/db/connect.js'
import { TransportError } from '../../src/remote/transport.js'

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

/** Runs a command and collects its own lines (the login noise left out). */
export async function runCollect(provider: TransportProvider, host: string, command: string, signal = AbortSignal.timeout(60_000)) {
  const stdout: string[] = []
  const stderr: string[] = []
  const result = await provider.transportFor(host).run({
    command, signal, onLine: (stream, line) => (stream === 'stdout' ? stdout : stderr).push(line),
  })
  return { ...result, stdout: withoutNoise(stdout), stderr: withoutNoise(stderr) }
}

export interface EngineSite {
  site: SshSite
  /** A provider for the test's own look-ups and clean-up on the target. */
  cleaner: TransportProvider
  /** A name prefix, unique to this run of the file, for files under ~/.topup/runs on the target. */
  runs: string
  /** Six digits, unique per run of the file: sleep durations that `pgrep -f` can find. */
  uniq: string
  /** Engine config putting every detached work folder of this file under one folder, removed at the end. */
  config: { REMOTE_RUNS_DIR: string }
}

/** The test site for engine tests on the target: starts it, and removes this file's files there at the end. */
export async function engineSite(t: Teardown, prefix: string): Promise<EngineSite> {
  const runs = `${prefix}-${process.pid}-${Date.now()}`
  const site = await startSshSite(t)
  const cleaner = siteProvider(t, site).provider
  t.teardown(() => runCollect(cleaner, 'target', `rm -rf ~/.topup/runs/${runs}-*`).catch(() => {}))
  return {
    site, cleaner, runs,
    uniq: String(100000 + Math.floor(Math.random() * 800000)),
    config: { REMOTE_RUNS_DIR: `~/.topup/runs/${runs}-dirs` },
  }
}

/** Established TCP connections to address:port, seen from the root namespace or from inside `netns`. */
export function connectionsTo(address: string, port: number, netns?: string): number {
  const ss = ['ss', '-Htn', 'state', 'established', 'dst', `${address}:${port}`]
  const out = netns ? execFileSync('ip', ['netns', 'exec', netns, ...ss], { encoding: 'utf8' })
    : execFileSync(ss[0]!, ss.slice(1), { encoding: 'utf8' })
  return out.split('\n').filter((l) => l.trim() !== '').length
}

/** The TransportError a promise rejects with (anything else, or success, fails the test). */
export async function failure(promise: Promise<unknown>): Promise<TransportError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof TransportError) return error
    throw error
  }
  throw new Error('expected a TransportError')
}
