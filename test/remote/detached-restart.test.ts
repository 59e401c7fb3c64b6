import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { startSshSite } from '../helpers/ssh-site.js'
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js'
import { runCollect, siteProvider } from './site-provider.js'

// The service is SIGKILLed while a detached command runs on the target (through the jump); after the restart
// the step re-attaches from its saved offsets: the task completes, every line is in its log once, and the
// command ran once.
const uniq = String(100000 + Math.floor(Math.random() * 800000))
const runs = `test-restart-${process.pid}-${Date.now()}`
const site = await startSshSite(t)
const { provider } = siteProvider(t, site)
t.teardown(() => runCollect(provider, 'target', `rm -rf ~/.topup/runs/${runs}-*`).catch(() => {}))

function writeWorkflow(dir: string): string {
  const workflows = join(dir, 'workflows')
  mkdirSync(workflows, { recursive: true })
  writeFileSync(join(workflows, 'detached_job.json'), JSON.stringify({
    name: 'detached_job', display_name: 'Detached job', version: '1',
    steps: [{
      id: 'job', display_name: 'job', type: 'exec', host: 'target',
      inputs: {
        command: `echo run >> ~/.topup/runs/${runs}-count; for i in 1 2 3 4 5; do echo "line $i"; done; ` +
          `sleep 3.${uniq}; for i in 6 7 8 9 10; do echo "line $i"; done`,
        detached: true,
      },
    }],
  }))
  return workflows
}

async function logLines(server: ServerProcess, id: number): Promise<string[]> {
  const res = await server.api<{ items: Array<{ message: string; source: string | null }> }>('GET', `/api/tasks/${id}/logs?limit=1000`)
  return res.body.items.filter((l) => l.source === 'stdout').map((l) => l.message)
}

t.test('SIGKILL of the server while a detached command runs, then restart: re-attached, ran once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-detached-restart-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const env = {
    ...site.env, WORKFLOWS_DIR: writeWorkflow(dir), HOSTS_FILE: site.writeHostsFile(),
    KNOWN_HOSTS_FILE: site.writeKnownHosts(), KNOWN_HOSTS_POLICY: 'strict', REMOTE_RUNS_DIR: `~/.topup/runs/${runs}-dirs`,
  }
  const server = await startServerProcess(t, dir, env)
  const created = await server.api<{ id: number }>('POST', '/api/tasks', { workflow_name: 'detached_job', start: true })
  t.equal(created.status, 201)
  const id = created.body.id

  for (let i = 0; i < 400 && !(await logLines(server, id)).includes('line 5'); i++) await delay(50)
  t.same(await logLines(server, id), ['line 1', 'line 2', 'line 3', 'line 4', 'line 5'], 'the first lines are in the log')
  server.child.kill('SIGKILL')
  await server.exited
  t.equal(site.targetProcesses(`^sleep 3.${uniq}`).length, 1, 'the command outlived the service')

  const again = await startServerProcess(t, dir, env)
  const task = await again.waitForStatus(id, ['success', 'failed', 'paused'], 60_000)
  t.equal(task.status, 'success', String(task.error_message ?? task.status_reason ?? ''))
  t.same(await logLines(again, id), Array.from({ length: 10 }, (_, i) => `line ${i + 1}`), 'every line once, in order')
  t.same((await runCollect(provider, 'target', `cat ~/.topup/runs/${runs}-count`)).stdout, ['run'], 'the command ran once')
  const executions = await again.api<{ items: Array<{ status: string; step_name: string }> }>('GET', `/api/tasks/${id}/executions`)
  t.same(executions.body.items.map((e) => e.status), ['interrupted', 'success'])
  const logs = await again.api<{ items: Array<{ message: string }> }>('GET', `/api/tasks/${id}/logs?limit=1000`)
  t.ok(logs.body.items.some((l) => l.message.includes('continuing from its saved progress')))
  t.ok(logs.body.items.some((l) => l.message.startsWith('re-attaching to the detached command')))
  again.child.kill('SIGTERM')
  t.equal((await again.exited)[0], 0)
})
