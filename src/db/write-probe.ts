import { sql } from 'kysely'
import type { Db } from './connect.js'

/**
 * Proves the database takes a write now (the file writable, the lock to be had, the disk accepting a commit)
 * without touching any table: the write lock, then the header's user_version (which nothing else uses) rewritten
 * to its own value and committed. One connection for the whole, so no other query runs inside it.
 */
export async function probeWrite(db: Db): Promise<void> {
  await db.connection().execute(async (conn) => {
    await sql`BEGIN IMMEDIATE`.execute(conn)
    try {
      const { rows } = await sql<{ user_version: number }>`PRAGMA user_version`.execute(conn)
      await sql.raw(`PRAGMA user_version = ${Math.trunc(Number(rows[0]?.user_version ?? 0))}`).execute(conn)
      await sql`COMMIT`.execute(conn)
    } catch (error) {
      await sql`ROLLBACK`.execute(conn).catch(() => {})
      throw error
    }
  })
}
