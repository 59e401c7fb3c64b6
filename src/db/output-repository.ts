import type { Db } from './connect.js'
import type { StepOutputRow } from './tables.js'
import type { OutputValue } from '../domain.js'

/**
 * step_outputs. A text value is stored as is; a list, number or boolean as JSON with metadata
 * {"encoding":"json"}, so that a reader can give back the value a step recorded.
 */
export function encodeOutputValue(value: OutputValue): { output_value: string; metadata: string | null } {
  if (typeof value === 'string') return { output_value: value, metadata: null }
  return { output_value: JSON.stringify(value), metadata: JSON.stringify({ encoding: 'json' }) }
}

export function decodeOutputValue(row: Pick<StepOutputRow, 'output_value' | 'metadata'>): unknown {
  if (row.output_value === null) return null
  if (row.metadata) {
    try {
      const meta = JSON.parse(row.metadata) as { encoding?: string }
      if (meta.encoding === 'json') return JSON.parse(row.output_value)
    } catch { /* not JSON: fall through to the raw text */ }
  }
  return row.output_value
}

/** One page of an execution's outputs, oldest first, and how many it has in all. */
export async function listOutputsPage(db: Db, executionId: number, page: { limit: number; offset: number }):
  Promise<{ rows: StepOutputRow[]; total: number }> {
  const outputs = db.selectFrom('step_outputs').where('execution_id', '=', executionId)
  const rows = await outputs.selectAll().orderBy('id').limit(page.limit).offset(page.offset).execute()
  const { total } = await outputs.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()
  return { rows, total: Number(total) }
}

export async function insertValueOutput(
  trx: Db, row: { execution_id: number; task_id: number; output_name: string; value: OutputValue },
): Promise<StepOutputRow> {
  return trx.insertInto('step_outputs').values({
    execution_id: row.execution_id, task_id: row.task_id, output_name: row.output_name, output_type: 'value',
    ...encodeOutputValue(row.value),
  }).returningAll().executeTakeFirstOrThrow()
}

export interface ArtifactInsert {
  execution_id: number
  task_id: number
  name: string
  path: string
  size: number
  sha256: string
  contentType: string
  remotePath: string
}

export async function insertArtifact(trx: Db, a: ArtifactInsert): Promise<StepOutputRow> {
  return trx.insertInto('step_outputs').values({
    execution_id: a.execution_id, task_id: a.task_id, output_name: a.name, output_type: 'artifact',
    output_value: null, output_path: a.path, file_size_bytes: a.size, file_hash: a.sha256,
    content_type: a.contentType, metadata: JSON.stringify({ remote_path: a.remotePath }),
  }).returningAll().executeTakeFirstOrThrow()
}

/** Values recorded by a task's steps, by step id then output name; a later record wins. */
export async function taskOutputValues(db: Db, taskId: number): Promise<Record<string, Record<string, OutputValue>>> {
  const rows = await db.selectFrom('step_outputs')
    .innerJoin('task_executions', 'task_executions.id', 'step_outputs.execution_id')
    .select(['task_executions.step_name', 'step_outputs.output_name', 'step_outputs.output_value', 'step_outputs.metadata'])
    .where('step_outputs.task_id', '=', taskId).where('step_outputs.output_type', '=', 'value')
    .orderBy('step_outputs.id').execute()
  const byStep: Record<string, Record<string, OutputValue>> = {}
  for (const row of rows) {
    const step = (byStep[row.step_name] ??= {})
    step[row.output_name] = decodeOutputValue(row) as OutputValue
  }
  return byStep
}
