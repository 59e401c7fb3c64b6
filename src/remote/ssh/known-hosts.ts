import { createHash, createHmac } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'

/** A host key as the server presented it. */
export interface HostKey {
  type: string
  /** The key blob, base64 as in known_hosts. */
  base64: string
}

export interface KnownHostEntry {
  marker: '@revoked' | '@cert-authority' | null
  patterns: string
  key: HostKey
}

/** SHA256:… as `ssh-keygen -l` prints it. */
export function fingerprint(keyBase64: string): string {
  const digest = createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64')
  return `SHA256:${digest.replace(/=+$/, '')}`
}

/** The key type is the first length-prefixed string of the SSH wire-format blob. */
export function hostKeyFromBlob(blob: Buffer): HostKey {
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : 0
  return { type: blob.subarray(4, 4 + length).toString('latin1'), base64: blob.toString('base64') }
}

/** How a host is named in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(hostname: string, port: number): string {
  return port === 22 ? hostname : `[${hostname}]:${port}`
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim()
    if (line === '' || line.startsWith('#')) continue
    const fields = line.split(/\s+/)
    let marker: KnownHostEntry['marker'] = null
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostEntry['marker']
    const [patterns, type, base64] = fields
    if (!patterns || !type || !base64) continue
    entries.push({ marker, patterns, key: { type, base64 } })
  }
  return entries
}

export function readKnownHostsFile(file: string): KnownHostEntry[] {
  return existsSync(file) ? parseKnownHosts(readFileSync(file, 'utf8')) : []
}

/** True when an entry's host field (plain patterns or one hashed `|1|salt|hash`) names this host. */
export function entryMatches(patterns: string, hostname: string, port: number): boolean {
  const name = knownHostsName(hostname, port)
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|')
    if (!salt || !hash) return false
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash
  }
  let matched = false
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!')
    if (!globMatch(negated ? pattern.slice(1) : pattern, name)) continue
    if (negated) return false
    matched = true
  }
  return matched
}

function globMatch(pattern: string, name: string): boolean {
  const regex = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\[/g, '\\[').replace(/\]/g, '\\]')
    .replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${regex}$`, 'i').test(name)
}

export type KnownHostsVerdict =
  | { status: 'match' }
  | { status: 'mismatch'; expected: HostKey[] }
  | { status: 'revoked' }
  | { status: 'absent' }

/** What the file says about the key a host presented. */
export function checkKnownHosts(entries: readonly KnownHostEntry[], hostname: string, port: number, key: HostKey): KnownHostsVerdict {
  const listed = entries.filter((e) => e.marker !== '@cert-authority' && entryMatches(e.patterns, hostname, port))
  if (listed.some((e) => e.marker === '@revoked' && e.key.base64 === key.base64)) return { status: 'revoked' }
  const plain = listed.filter((e) => e.marker === null)
  if (plain.some((e) => e.key.base64 === key.base64)) return { status: 'match' }
  if (plain.length > 0) return { status: 'mismatch', expected: plain.map((e) => e.key) }
  return { status: 'absent' }
}
