import t from 'tap'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stepTypes } from '../../src/workflows/definition.js'
import { loadWorkflows } from '../../src/workflows/loader.js'
import { syncWorkflows } from '../../src/workflows/sync.js'
import { freshDatabase } from '../helpers/db.js'
import { repoWorkflowsDir } from '../helpers/app.js'

function workflowsCopy(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'topup-sync-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(join(repoWorkflowsDir, 'topup_standard.json'), join(dir, 'topup_standard.json'))
  return dir
}

t.test('one row per distinct definition; the loaded one is active', async (t) => {
  const { db } = freshDatabase(t)
  const dir = workflowsCopy(t)
  const first = await syncWorkflows(db, loadWorkflows(dir), stepTypes)
  const v1 = first.get('topup_standard_workflow')!
  t.ok(v1.runnable)
  t.same(v1.missingStepTypes, [])
  t.equal(v1.definitionJson, JSON.stringify(v1.definition))

  const again = await syncWorkflows(db, loadWorkflows(dir), stepTypes)
  t.equal(again.get('topup_standard_workflow')!.id, v1.id, 'an unchanged file keeps its row')

  const file = join(dir, 'topup_standard.json')
  const edited = JSON.parse(readFileSync(file, 'utf8'))
  edited.version = '1.1.1'
  writeFileSync(file, JSON.stringify(edited))
  const v2 = (await syncWorkflows(db, loadWorkflows(dir), stepTypes)).get('topup_standard_workflow')!
  t.not(v2.id, v1.id)
  const rows = await db.selectFrom('workflows').select(['id', 'version', 'is_active']).orderBy('id').execute()
  t.same(rows, [{ id: v1.id, version: v1.definition.version, is_active: 0 }, { id: v2.id, version: '1.1.1', is_active: 1 }])
  const steps = await db.selectFrom('workflow_steps').select(['step_id', 'step_order', 'step_type', 'host'])
    .where('workflow_id', '=', v2.id).orderBy('step_order').execute()
  t.equal(steps.length, edited.steps.length)
  t.match(steps[0], { step_id: 'submit_jobs', step_order: 1, step_type: 'exec', host: 'beslogin' })

  writeFileSync(file, JSON.stringify(v1.definition))
  const back = (await syncWorkflows(db, loadWorkflows(dir), stepTypes)).get('topup_standard_workflow')!
  t.equal(back.id, v1.id, 'reverting a file reactivates the earlier row')
})

t.test('a workflow whose file is gone is deactivated', async (t) => {
  const { db } = freshDatabase(t)
  const dir = workflowsCopy(t)
  await syncWorkflows(db, loadWorkflows(dir), stepTypes)
  rmSync(join(dir, 'topup_standard.json'))
  const catalog = await syncWorkflows(db, loadWorkflows(dir), stepTypes)
  t.same(catalog.list(), [])
  const row = await db.selectFrom('workflows').select('is_active').executeTakeFirstOrThrow()
  t.equal(row.is_active, 0)
})

t.test('a workflow with unimplemented step types is not runnable', async (t) => {
  const { db } = freshDatabase(t)
  const catalog = await syncWorkflows(db, loadWorkflows(workflowsCopy(t)), ['exec'])
  const wf = catalog.get('topup_standard_workflow')!
  t.equal(wf.runnable, false)
  t.same(wf.missingStepTypes, ['wait_for_files', 'download', 'wait_for_jobs'])
})
