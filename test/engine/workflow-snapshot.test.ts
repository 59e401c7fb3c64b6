import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startServerProcess } from '../helpers/server-process.js'

/** A one-step workflow whose command writes `said` into a file named after the task. */
function writeWorkflow(dir: string, version: string, said: string): void {
  writeFileSync(join(dir, 'echo.json'), JSON.stringify({
    name: 'echo_flow', display_name: 'echo', version,
    steps: [{
      id: 'say', display_name: 'say', type: 'exec', host: 'local',
      inputs: { command: `echo ${said} > {{ vars.work }}/{{ task.id }}.txt` },
    }],
    vars: { work: '/nonexistent' },
  }))
}

t.test('editing a workflow file never changes a task that already exists', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-snapshot-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const workflows = join(dir, 'workflows')
  const work = join(dir, 'work')
  mkdirSync(workflows)
  mkdirSync(work)
  const env = { WORKFLOWS_DIR: workflows, TOPUP_VAR_WORK: work }

  writeWorkflow(workflows, '1.0.0', 'old-definition')
  const first = await startServerProcess(t, dir, env)
  const created = await first.api<{ id: number }>('POST', '/api/tasks', { workflow_name: 'echo_flow', task_name: 'kept' })
  t.equal(created.status, 201)
  const id = created.body.id
  first.child.kill('SIGTERM')
  t.same((await first.exited)[0], 0, 'the first server stopped cleanly')

  // The file changes while no server runs; the next start syncs the new definition.
  writeWorkflow(workflows, '2.0.0', 'new-definition')
  const second = await startServerProcess(t, dir, env)
  const detail = await second.api<{ version: string }>('GET', '/api/workflows/echo_flow')
  t.equal(detail.body.version, '2.0.0', 'the workflow now shows the new version')

  t.equal((await second.api('POST', `/api/tasks/${id}/start`)).status, 200)
  await second.waitForStatus(id, ['success'])
  t.equal(readFileSync(join(work, `${id}.txt`), 'utf8').trim(), 'old-definition', 'the existing task ran its own definition')

  const fresh = await second.api<{ id: number }>('POST', '/api/tasks', { workflow_name: 'echo_flow', task_name: 'new', start: true })
  await second.waitForStatus(fresh.body.id, ['success'])
  t.equal(readFileSync(join(work, `${fresh.body.id}.txt`), 'utf8').trim(), 'new-definition', 'a new task uses the new one')
})
