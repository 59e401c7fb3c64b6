import { randomBytes } from 'node:crypto'
import type { Db } from './connect.js'

/**
 * A random id of this database, made on first use and kept in schema_meta: what this service names on a shared
 * resource (a batch job's tag) is told apart from what another service with its own database named there, even
 * when both have a task 1.
 */
export async function instanceId(db: Db): Promise<string> {
  await db.insertInto('schema_meta').values({ key: 'instance_id', value: randomBytes(4).toString('hex') })
    .onConflict((oc) => oc.column('key').doNothing()).execute()
  const row = await db.selectFrom('schema_meta').select('value').where('key', '=', 'instance_id').executeTakeFirstOrThrow()
  return row.value
}
