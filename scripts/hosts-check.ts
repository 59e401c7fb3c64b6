/**
 * `npm run hosts:check`: connects through every chain of HOSTS_FILE and prints, per hop, whether it was
 * reachable, whether authentication worked, its host key fingerprint and whether that key was already known
 * (KNOWN_HOSTS_FILE or pinned) or new (pinned now, under KNOWN_HOSTS_POLICY=accept-new). Exits 1 on any failure.
 */
import { loadConfig, loadDotEnv } from '../src/config.js'
import { openDatabase } from '../src/db/connect.js'
import { chainLabel, hostChain, loadHostsFile } from '../src/remote/hosts.js'
import { createHostKeyPolicy, type HostKeyOutcome } from '../src/remote/ssh/host-key-policy.js'
import { ConnectionPool } from '../src/remote/ssh/connection-pool.js'
import { TransportError } from '../src/remote/transport.js'

loadDotEnv()
const config = loadConfig()
const hosts = loadHostsFile(config.HOSTS_FILE)
const { db } = openDatabase(config.databaseFile)
const keys = new Map<string, HostKeyOutcome>()
const pool = new ConnectionPool(hosts, {
  env: process.env,
  policy: createHostKeyPolicy({ db, policy: config.KNOWN_HOSTS_POLICY, knownHostsFile: config.KNOWN_HOSTS_FILE }),
  onHostKey: (host, outcome) => keys.set(host.name, outcome),
  backoffBaseMs: 0,
})

const names = [...hosts.values()].filter((h) => h.transport !== 'local')
  .sort((a, b) => hostChain(hosts, a.name).length - hostChain(hosts, b.name).length).map((h) => h.name)
console.log(`hosts file ${config.HOSTS_FILE}; known hosts ${config.KNOWN_HOSTS_FILE ?? '(none)'}; policy ${config.KNOWN_HOSTS_POLICY}`)
let failed = 0
for (const name of names) {
  const host = hosts.get(name)!
  const label = `${name} (${host.username}@${host.hostname}:${host.port}) via ${chainLabel(hostChain(hosts, name))}`
  try {
    await pool.get(name).connect(AbortSignal.timeout((host.connect_timeout_seconds + 5) * 1000))
    const key = keys.get(name)
    const known = key ? `${key.status === 'new' ? 'NEW, pinned now' : 'known'} (${key.source})` : 'known'
    console.log(`ok    ${label}\n      reachable: yes  auth: ok  host key: ${key?.fingerprint ?? '?'} ${known}`)
  } catch (error) {
    failed++
    const kind = error instanceof TransportError ? error.kind : 'error'
    console.log(`FAIL  ${label}\n      ${kind}: ${(error as Error).message}`)
  }
}
pool.close()
await db.destroy()
console.log(failed === 0 ? `all ${names.length} host(s) reachable` : `${failed} of ${names.length} host(s) failed`)
process.exit(failed === 0 ? 0 : 1)
