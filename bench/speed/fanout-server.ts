/**
 * The server of the fan-out bench, in a process of its own so the 1000 clients do not share its event loop:
 * `tsx bench/speed/fanout-server.ts topup <dir>` (the real app on a real SQLite file in <dir>, its live events fed
 * by an EventStore as the engine's are) or `bare` (bench/baselines/bare-ws.ts). It prints one JSON line (its
 * port, for the app a token), then answers one JSON line per command read from stdin:
 * `{"cmd":"task"}` → `{taskId}` (a fresh task of alice's); `{"cmd":"produce",taskId,lines,chunk,everyMs}` → log
 * lines, `chunk` at a time, then a wait of `everyMs` (0: one turn of the event loop), answering `{producerMs}` once
 * every line is written and published; `{"cmd":"rss"}` → `{peakRss}`, the most this process held since the
 * previous ask (sampled every 10 ms). It exits when stdin closes.
 */
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as delay } from 'node:timers/promises'
import { buildApp } from '../../src/app.js'
import { signToken } from '../../src/auth/token.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/connect.js'
import { readEvents } from '../../src/db/event-repository.js'
import { EventBus } from '../../src/engine/bus.js'
import { EventStore } from '../../src/engine/event-store.js'
import { stepTypes } from '../../src/workflows/definition.js'
import { loadWorkflows } from '../../src/workflows/loader.js'
import { syncWorkflows } from '../../src/workflows/sync.js'
import { repoWorkflowsDir, TEST_SECRET } from '../../test/helpers/app.js'
import { BareBroadcast } from '../baselines/bare-ws.js'
import { logMessage } from '../baselines/raw-log-insert.js'

export interface Produce { cmd: 'produce'; taskId: number; lines: number; chunk: number; everyMs: number }
type Command = { cmd: 'task' } | Produce | { cmd: 'rss' }

let peakRss = 0
setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()) }, 10).unref()

const pause = (everyMs: number) => (everyMs > 0 ? delay(everyMs) : new Promise(setImmediate))

interface Served { newTask(): number; line(taskId: number, i: number): void; flush(): Promise<void>; close(): Promise<unknown> }

const [mode, dir] = process.argv.slice(2)
let served: Served
if (mode === 'bare') {
  const bare = new BareBroadcast()
  await new Promise((resolve) => bare.server.once('listening', resolve))
  served = { newTask: () => 1, line: (taskId) => bare.line(taskId), flush: async () => {}, close: () => bare.close() }
  print({ port: bare.port })
} else if (mode === 'topup') {
  const { db, sqlite } = openDatabase(join(dir!, 'topup.db'))
  const config = loadConfig({ DATA_DIR: dir!, SECRET_KEY: TEST_SECRET, WORKFLOWS_DIR: repoWorkflowsDir, LOG_FILE: join(dir!, 'topup.log') })
  const workflows = await syncWorkflows(db, loadWorkflows(config.WORKFLOWS_DIR), stepTypes)
  const bus = new EventBus()
  const store = new EventStore(db, bus, (error) => { throw error })
  const app = await buildApp({ config, db, workflows, events: {
    subscribe: bus.subscribe.bind(bus), read: (taskId, after, limit) => readEvents(db, taskId, after, limit), follow: (taskId) => store.follow(taskId),
  } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const workflowId = Number(sqlite.prepare(`INSERT INTO workflows (name, display_name, version, definition, definition_hash)
    VALUES ('bench', 'bench', '1', '{}', 'x')`).run().lastInsertRowid)
  const insertTask = sqlite.prepare(`INSERT INTO tasks (user_id, workflow_id, workflow_name, task_name)
    VALUES ('alice', ?, 'bench', 'fan-out')`)
  served = {
    newTask: () => Number(insertTask.run(workflowId).lastInsertRowid),
    line: (taskId, i) => store.log({ taskId, level: 'info', message: logMessage(i), source: 'stdout' }),
    flush: () => store.flush(),
    close: () => app.close(),
  }
  print({ port: (app.server.address() as { port: number }).port, token: signToken(TEST_SECRET, { userId: 'alice', role: 'user' }, 24 * 3600) })
} else {
  throw new Error('usage: fanout-server.ts topup <dir> | bare')
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

async function produce({ taskId, lines, chunk, everyMs }: Produce): Promise<number> {
  const started = performance.now()
  for (let from = 0; from < lines; from += chunk) {
    for (let i = from; i < Math.min(lines, from + chunk); i++) served.line(taskId, i)
    if (from + chunk < lines) await pause(everyMs)
  }
  await served.flush()
  return performance.now() - started
}

const commands = createInterface({ input: process.stdin })
commands.on('close', () => { void served.close().then(() => process.exit(0)) })
for await (const raw of commands) {
  const command = JSON.parse(raw) as Command
  if (command.cmd === 'task') print({ taskId: served.newTask() })
  else if (command.cmd === 'produce') print({ producerMs: await produce(command) })
  else { print({ peakRss }); peakRss = process.memoryUsage.rss() }
}
