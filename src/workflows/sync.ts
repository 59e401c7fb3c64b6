import { createHash } from 'node:crypto'
import type { Db } from '../db/connect.js'
import {
  activateWorkflowVersion, deactivateWorkflowsExcept, findWorkflowVersion, insertWorkflowVersion,
} from '../db/workflow-repository.js'
import type { WorkflowDefinition } from './definition.js'
import type { LoadedWorkflow } from './loader.js'

/** The active version of one workflow, as the API and task creation see it. */
export interface CatalogEntry {
  /** workflows.id of this exact definition (what a task created now points at). */
  id: number
  name: string
  definition: WorkflowDefinition
  /** The exact JSON stored in workflows.definition and copied into a task's workflow_snapshot. */
  definitionJson: string
  sourceFile: string | null
  /** Every step type has an implementation; otherwise `missingStepTypes` names the ones that do not. */
  runnable: boolean
  missingStepTypes: string[]
}

export interface WorkflowCatalog {
  list(): CatalogEntry[]
  get(name: string): CatalogEntry | undefined
}

type Synced = Omit<CatalogEntry, 'runnable' | 'missingStepTypes'>

function createCatalog(workflows: Synced[], implementedStepTypes: readonly string[]): WorkflowCatalog {
  const entries = new Map<string, CatalogEntry>()
  for (const wf of [...workflows].sort((a, b) => a.name.localeCompare(b.name))) {
    const missing = [...new Set(wf.definition.steps.map((s) => s.type as string))]
      .filter((type) => !implementedStepTypes.includes(type))
    entries.set(wf.name, { ...wf, runnable: missing.length === 0, missingStepTypes: missing })
  }
  return { list: () => [...entries.values()], get: (name) => entries.get(name) }
}

function definitionHash(json: string): string {
  return createHash('sha256').update(json).digest('hex')
}

/**
 * Writes the loaded workflows into `workflows`/`workflow_steps`: one row per distinct definition (name +
 * content hash), the loaded one active, older ones kept inactive because tasks point at them. A file that
 * reverts to an earlier definition reactivates that earlier row. One transaction; no network inside.
 */
export async function syncWorkflows(db: Db, loaded: LoadedWorkflow[], implementedStepTypes: readonly string[]):
  Promise<WorkflowCatalog> {
  const now = new Date().toISOString()
  const synced = await db.transaction().execute(async (trx) => {
    const out: Synced[] = []
    for (const { definition, file } of loaded) {
      const json = JSON.stringify(definition)
      const hash = definitionHash(json)
      const row = await findWorkflowVersion(trx, definition.name, hash) ?? await insertWorkflowVersion(trx, {
        name: definition.name,
        display_name: definition.display_name,
        description: definition.description ?? null,
        version: definition.version,
        definition: json,
        definition_hash: hash,
        source_file: file,
        steps: definition.steps.map((step) => ({
          step_id: step.id, display_name: step.display_name, step_type: step.type, host: step.host ?? null,
          config: JSON.stringify(step),
        })),
      })
      await activateWorkflowVersion(trx, definition.name, row.id, now)
      out.push({ id: row.id, name: definition.name, definition, definitionJson: json, sourceFile: file })
    }
    await deactivateWorkflowsExcept(trx, loaded.map((l) => l.definition.name), now)
    return out
  })
  return createCatalog(synced, implementedStepTypes)
}
