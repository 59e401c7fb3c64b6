/**
 * One server of the speed bench, in a process of its own so the load generator does not share its event loop:
 * `tsx bench/speed/server.ts topup|topup-uncached <dir>` (the real app on a real SQLite file in <dir>, with
 * 1000 tasks; uncached: without the prepared-statement cache) or `bare <bodies.json>`. It prints one JSON line
 * (its port, and for the app a token and a task id), then serves until its stdin closes.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { signToken } from '../../src/auth/token.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/connect.js'
import { stepTypes } from '../../src/workflows/definition.js'
import { loadWorkflows } from '../../src/workflows/loader.js'
import { syncWorkflows } from '../../src/workflows/sync.js'
import { repoWorkflowsDir, TEST_SECRET } from '../../test/helpers/app.js'
import { bareFastify, type BareBodies } from '../baselines/bare-fastify.js'
import { detailBody, TASKS } from './fixture.js'

const [mode, arg] = process.argv.slice(2)
if (mode === 'bare') {
  const app = bareFastify(JSON.parse(readFileSync(arg!, 'utf8')) as BareBodies)
  await serve(app, {})
} else if (mode === 'topup' || mode === 'topup-uncached') {
  const { db, sqlite } = openDatabase(join(arg!, 'topup.db'), mode === 'topup' ? {} : { statementCache: 0 })
  const config = loadConfig({ DATA_DIR: arg!, SECRET_KEY: TEST_SECRET, WORKFLOWS_DIR: repoWorkflowsDir, LOG_FILE: join(arg!, 'topup.log') })
  const workflows = await syncWorkflows(db, loadWorkflows(config.WORKFLOWS_DIR), stepTypes)
  const app = await buildApp({ config, db, workflows })
  const token = signToken(TEST_SECRET, { userId: 'alice', role: 'user' }, 24 * 3600)
  const first = await app.inject({ method: 'POST', url: '/api/tasks', headers: { authorization: `Bearer ${token}` }, payload: detailBody })
  if (first.statusCode !== 201) throw new Error(`seeding: ${first.statusCode} ${first.body}`)
  const { id } = first.json() as { id: number }
  // the other tasks are copies of the first (its snapshot and parameters), each for another day
  sqlite.transaction(() => {
    const task = sqlite.prepare(`INSERT INTO tasks (user_id, workflow_id, workflow_name, task_name, date_param, created_by)
      SELECT user_id, workflow_id, workflow_name, task_name, ?, created_by FROM tasks WHERE id = ?`)
    const snapshot = sqlite.prepare(`INSERT INTO task_snapshots (task_id, workflow_snapshot)
      SELECT ?, workflow_snapshot FROM task_snapshots WHERE task_id = ?`)
    const parameters = sqlite.prepare(`INSERT INTO task_parameters (task_id, param_name, param_value, param_type)
      SELECT ?, param_name, param_value, param_type FROM task_parameters WHERE task_id = ?`)
    for (let i = 1; i < TASKS; i++) {
      const copy = Number(task.run(`day${i}`, id).lastInsertRowid)
      snapshot.run(copy, id)
      parameters.run(copy, id)
    }
  })()
  await serve(app, { token, taskId: id })
} else {
  throw new Error(`usage: server.ts topup|topup-uncached <dir> | bare <bodies.json>`)
}

async function serve(app: { listen(o: { host: string; port: number }): Promise<string>; close(): Promise<unknown>; server: { address(): unknown } },
  info: Record<string, unknown>): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  process.stdout.write(`${JSON.stringify({ port, ...info })}\n`)
  process.stdin.resume()
  process.stdin.on('end', () => { void app.close().then(() => process.exit(0)) })
}
