import type { Db } from '../../db/connect.js'
import { findHostKey, pinHostKey } from '../../db/host-key-repository.js'
import { checkKnownHosts, fingerprint, readKnownHostsFile, type HostKey } from './known-hosts.js'

export type HostKeyPolicyName = 'strict' | 'accept-new'

/** What a hop's check found: the key is known (file or pinned) or was pinned just now. */
export interface HostKeyOutcome {
  status: 'known' | 'new'
  fingerprint: string
  source: 'known_hosts' | 'database'
}

/** A refused key; the message names the host and both fingerprints. */
export class HostKeyRejected extends Error {
  constructor(readonly kind: 'host_key_mismatch' | 'host_key_unknown', message: string) {
    super(message)
    this.name = 'HostKeyRejected'
  }
}

export interface HostKeyPolicy {
  verify(hostname: string, port: number, key: HostKey): Promise<HostKeyOutcome>
}

/**
 * KNOWN_HOSTS_FILE first (re-read at each check, so an operator's edit applies without a restart); a host it
 * does not list is refused under `strict`, and under `accept-new` checked against — or pinned into — host_keys.
 */
export function createHostKeyPolicy(options: { db: Db; policy: HostKeyPolicyName; knownHostsFile?: string | undefined }): HostKeyPolicy {
  return {
    async verify(hostname, port, key) {
      const presented = fingerprint(key.base64)
      const where = `${hostname}:${port}`
      const entries = options.knownHostsFile ? readKnownHostsFile(options.knownHostsFile) : []
      const verdict = checkKnownHosts(entries, hostname, port, key)
      if (verdict.status === 'match') return { status: 'known', fingerprint: presented, source: 'known_hosts' }
      if (verdict.status === 'revoked') {
        throw new HostKeyRejected('host_key_mismatch', `host key of ${where} (${key.type} ${presented}) is revoked in ${options.knownHostsFile}`)
      }
      if (verdict.status === 'mismatch') {
        const expected = verdict.expected.map((k) => `${k.type} ${fingerprint(k.base64)}`).join(', ')
        throw new HostKeyRejected('host_key_mismatch',
          `HOST KEY MISMATCH for ${where}: it presented ${key.type} ${presented} but ${options.knownHostsFile} lists ${expected}`)
      }
      if (options.policy === 'strict') {
        throw new HostKeyRejected('host_key_unknown',
          `host key of ${where} (${key.type} ${presented}) is not in ${options.knownHostsFile ?? 'KNOWN_HOSTS_FILE (unset)'} and KNOWN_HOSTS_POLICY is strict`)
      }
      const existing = await findHostKey(options.db, hostname, port)
      const pinned = existing
        ?? await pinHostKey(options.db, { hostname, port, key_type: key.type, key_base64: key.base64, fingerprint: presented })
      if (pinned.key_base64 !== key.base64) {
        throw new HostKeyRejected('host_key_mismatch',
          `HOST KEY MISMATCH for ${where}: it presented ${key.type} ${presented} but ${pinned.key_type} ${pinned.fingerprint} was pinned on ${pinned.first_seen}`)
      }
      return { status: existing ? 'known' : 'new', fingerprint: presented, source: 'database' }
    },
  }
}
