import type { Db } from './connect.js'

/**
 * Reads of downloaded files: step_outputs rows with output_type 'artifact' (written by insertArtifact in
 * output-repository.ts), with the step that produced them. `output_path` is relative to DATA_DIR (e.g.
 * artifacts/12/merged.pdf); the remote path is kept in the metadata JSON (`remotePathOf`).
 */
function selectArtifacts(db: Db) {
  return db.selectFrom('step_outputs')
    .innerJoin('task_executions', 'task_executions.id', 'step_outputs.execution_id')
    .select([
      'step_outputs.id', 'step_outputs.task_id', 'step_outputs.execution_id', 'task_executions.step_name',
      'step_outputs.output_name', 'step_outputs.output_path', 'step_outputs.file_size_bytes', 'step_outputs.file_hash',
      'step_outputs.content_type', 'step_outputs.metadata', 'step_outputs.created_at',
    ])
    .where('step_outputs.output_type', '=', 'artifact')
}

export type ArtifactRow = Awaited<ReturnType<ReturnType<typeof selectArtifacts>['executeTakeFirstOrThrow']>>

export function remotePathOf(metadata: string | null): string | null {
  if (!metadata) return null
  try {
    const value = (JSON.parse(metadata) as { remote_path?: unknown }).remote_path
    return typeof value === 'string' ? value : null
  } catch {
    return null
  }
}

export function findArtifact(db: Db, id: number): Promise<ArtifactRow | undefined> {
  return selectArtifacts(db).where('step_outputs.id', '=', id).executeTakeFirst()
}

/** A task's artifacts, oldest first. */
export async function listTaskArtifacts(db: Db, taskId: number, page: { limit: number; offset: number }):
  Promise<{ rows: ArtifactRow[]; total: number }> {
  const rows = await selectArtifacts(db).where('step_outputs.task_id', '=', taskId)
    .orderBy('step_outputs.id').limit(page.limit).offset(page.offset).execute()
  const count = await db.selectFrom('step_outputs').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('task_id', '=', taskId).where('output_type', '=', 'artifact').executeTakeFirstOrThrow()
  return { rows, total: Number(count.n) }
}
