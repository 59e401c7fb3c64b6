import type { Selectable } from 'kysely'
import type { Database } from './tables.js'
import type { Db } from './connect.js'

export type HostKeyRow = Selectable<Database['host_keys']>

export async function findHostKey(db: Db, hostname: string, port: number): Promise<HostKeyRow | undefined> {
  return db.selectFrom('host_keys').selectAll().where('hostname', '=', hostname).where('port', '=', port)
    .executeTakeFirst()
}

/**
 * Pins a key unless one is pinned already, and returns the pinned row: when two connections race to pin,
 * both see the same winner.
 */
export async function pinHostKey(
  db: Db, key: { hostname: string; port: number; key_type: string; key_base64: string; fingerprint: string },
): Promise<HostKeyRow> {
  await db.insertInto('host_keys').values(key).onConflict((oc) => oc.columns(['hostname', 'port']).doNothing()).execute()
  const row = await findHostKey(db, key.hostname, key.port)
  if (!row) throw new Error(`host key for ${key.hostname}:${key.port} vanished after pinning`)
  return row
}
