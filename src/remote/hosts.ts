import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'
import { readSettingsFile, withEntryDefaults } from '../settings-file.js'

/** One host of HOSTS_FILE. Secrets never live here: only the names of the variables that hold them. */
export const HostSchema = Type.Object({
  hostname: Type.String({ minLength: 1, description: 'name or address, resolved by the previous hop when `via` is set' }),
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 22 }),
  username: Type.String({ minLength: 1 }),
  password_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
  private_key_file: Type.Optional(Type.String({ minLength: 1 })),
  passphrase_env: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
  via: Type.Optional(Type.String({ minLength: 1, description: 'the jump host this host is reached through' })),
  transport: Type.Optional(Type.Union([Type.Literal('ssh'), Type.Literal('local')])),
  max_sessions: Type.Integer({ minimum: 1, maximum: 1000, default: 8, description: 'channels open at once, below sshd MaxSessions' }),
  keepalive_seconds: Type.Integer({ minimum: 0, maximum: 3600, default: 15 }),
  idle_close_seconds: Type.Integer({ minimum: 0, maximum: 86400, default: 300 }),
  connect_timeout_seconds: Type.Number({ exclusiveMinimum: 0, maximum: 600, default: 15 }),
  max_connects_per_minute: Type.Integer({ minimum: 1, maximum: 1000, default: 6 }),
  job_poll_min_seconds: Type.Optional(Type.Number({ minimum: 0.1, maximum: 3600,
    description: 'cluster jobs on this host are polled at most this often (at least JOB_POLL_MIN_SECONDS)' })),
}, { additionalProperties: false })

export const HostsFileSchema = Type.Object({
  hosts: Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }), HostSchema),
}, { additionalProperties: false })

export type HostConfig = Static<typeof HostSchema>
export interface NamedHost extends HostConfig { name: string }

export class HostsFileError extends Error {}

/** Reads and checks HOSTS_FILE; a missing file means "no SSH hosts" (only `local`). */
export function loadHostsFile(file: string): Map<string, NamedHost> {
  const raw = readSettingsFile(file, (message) => new HostsFileError(message))
  return raw === undefined ? new Map() : parseHosts(raw, file)
}

export function parseHosts(raw: unknown, source = 'hosts'): Map<string, NamedHost> {
  const value = withEntryDefaults(raw, 'hosts', HostSchema)
  const error = Value.Errors(HostsFileSchema, value)[0]
  if (error) {
    const path = error.instancePath || '/'
    const unknown = /schema is false/.test(error.message)
    throw new HostsFileError(`${source}: ${path} ${unknown ? `is not a known field (passwords go in the variable named by password_env)` : error.message}`)
  }
  const hosts = new Map<string, NamedHost>()
  for (const [name, host] of Object.entries((value as Static<typeof HostsFileSchema>).hosts)) {
    if (name === 'local') throw new HostsFileError(`${source}: "local" is reserved for this machine`)
    hosts.set(name, { name, ...host })
  }
  for (const name of hosts.keys()) hostChain(hosts, name, source)
  return hosts
}

/** The hops from the first jump to `name` (inclusive); rejects unknown `via` names and cycles. */
export function hostChain(hosts: ReadonlyMap<string, NamedHost>, name: string, source = 'hosts'): NamedHost[] {
  const chain: NamedHost[] = []
  const seen = new Set<string>()
  for (let current: string | undefined = name; current !== undefined;) {
    if (seen.has(current)) {
      throw new HostsFileError(`${source}: host "${name}" has a cycle in its jump chain: ${[...seen, current].join(' -> ')}`)
    }
    seen.add(current)
    const host = hosts.get(current)
    if (!host) {
      const from = chain[0]?.name
      throw new HostsFileError(from ? `${source}: host "${from}" goes via unknown host "${current}"` : `unknown host "${current}"`)
    }
    if (host.transport === 'local' && chain.length > 0) {
      throw new HostsFileError(`${source}: host "${chain[0]!.name}" cannot go via local host "${current}"`)
    }
    chain.unshift(host)
    current = host.via
  }
  return chain
}

/** The environment variables the hosts' passwords and key passphrases are read from. */
export function secretVariables(hosts: ReadonlyMap<string, NamedHost>): string[] {
  return [...new Set([...hosts.values()].flatMap((h) => [h.password_env, h.passphrase_env]).filter((v) => v !== undefined))]
}

export function chainLabel(chain: readonly NamedHost[]): string {
  return chain.map((h) => h.name).join(' -> ')
}
