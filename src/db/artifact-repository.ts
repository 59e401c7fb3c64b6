import type { Db } from './connect.js'

/**
 * Reads of downloaded files: step_outputs rows with output_type 'artifact' (written by insertArtifact in
 * output-repository.ts), with the step that produced them. `remote_path` comes from the row's metadata JSON.
 */
export interface ArtifactRecord {
  id: number
  task_id: number
  execution_id: number
  step_id: string
  name: string
  /** Relative to DATA_DIR, e.g. artifacts/12/merged.pdf. */
  path: string | null
  size: number | null
  sha256: string | null
  content_type: string | null
  remote_path: string | null
  created_at: string
}

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

type Row = Awaited<ReturnType<ReturnType<typeof selectArtifacts>['executeTakeFirstOrThrow']>>

function toRecord(row: Row): ArtifactRecord {
  return {
    id: row.id, task_id: row.task_id, execution_id: row.execution_id, step_id: row.step_name, name: row.output_name,
    path: row.output_path, size: row.file_size_bytes, sha256: row.file_hash, content_type: row.content_type,
    remote_path: remotePathOf(row.metadata), created_at: row.created_at,
  }
}

function remotePathOf(metadata: string | null): string | null {
  if (!metadata) return null
  try {
    const value = (JSON.parse(metadata) as { remote_path?: unknown }).remote_path
    return typeof value === 'string' ? value : null
  } catch {
    return null
  }
}

export async function findArtifact(db: Db, id: number): Promise<ArtifactRecord | undefined> {
  const row = await selectArtifacts(db).where('step_outputs.id', '=', id).executeTakeFirst()
  return row && toRecord(row)
}

/** A task's artifacts, oldest first. */
export async function listTaskArtifacts(db: Db, taskId: number, page: { limit: number; offset: number }):
  Promise<{ rows: ArtifactRecord[]; total: number }> {
  const rows = await selectArtifacts(db).where('step_outputs.task_id', '=', taskId)
    .orderBy('step_outputs.id').limit(page.limit).offset(page.offset).execute()
  const count = await db.selectFrom('step_outputs').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('task_id', '=', taskId).where('output_type', '=', 'artifact').executeTakeFirstOrThrow()
  return { rows: rows.map(toRecord), total: Number(count.n) }
}
