import type { Db } from './connect.js'
import type { WorkflowRow } from './tables.js'

export interface NewWorkflowVersion {
  name: string
  display_name: string
  description: string | null
  version: string
  definition: string
  definition_hash: string
  source_file: string | null
  steps: { step_id: string; display_name: string; step_type: string; host: string | null; config: string }[]
}

export function findWorkflowVersion(db: Db, name: string, hash: string): Promise<WorkflowRow | undefined> {
  return db.selectFrom('workflows').selectAll().where('name', '=', name).where('definition_hash', '=', hash)
    .executeTakeFirst()
}

export async function insertWorkflowVersion(trx: Db, version: NewWorkflowVersion): Promise<WorkflowRow> {
  const { steps, ...workflow } = version
  const row = await trx.insertInto('workflows').values({ ...workflow, is_active: 0 }).returningAll()
    .executeTakeFirstOrThrow()
  if (steps.length > 0) {
    await trx.insertInto('workflow_steps')
      .values(steps.map((step, index) => ({ ...step, workflow_id: row.id, step_order: index + 1 }))).execute()
  }
  return row
}

/** Makes `id` the one active version of its workflow name. */
export async function activateWorkflowVersion(trx: Db, name: string, id: number, now: string): Promise<void> {
  await trx.updateTable('workflows').set({ is_active: 0, updated_at: now })
    .where('name', '=', name).where('id', '!=', id).where('is_active', '=', 1).execute()
  await trx.updateTable('workflows').set({ is_active: 1, updated_at: now }).where('id', '=', id).execute()
}

/** Deactivates every workflow whose file is gone; their rows stay for the tasks that use them. */
export async function deactivateWorkflowsExcept(trx: Db, names: string[], now: string): Promise<void> {
  let query = trx.updateTable('workflows').set({ is_active: 0, updated_at: now }).where('is_active', '=', 1)
  if (names.length > 0) query = query.where('name', 'not in', names)
  await query.execute()
}

/** One page of the active workflow names, by name, and how many are active in all. */
export async function listActiveWorkflowNames(db: Db, page: { limit: number; offset: number }):
  Promise<{ names: string[]; total: number }> {
  const active = db.selectFrom('workflows').where('is_active', '=', 1)
  const rows = await active.select('name').orderBy('name').limit(page.limit).offset(page.offset).execute()
  const { total } = await active.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
  return { names: rows.map((row) => row.name), total: Number(total) }
}
