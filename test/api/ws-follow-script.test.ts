import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { sharedByFile } from '../helpers/app.js'
import { emitProgress, seedTask, startLiveServer } from './ws-helpers.js'

const script = fileURLToPath(new URL('../../scripts/follow-task.ts', import.meta.url))

// One server for the file; each test uses tasks and clients of its own.
const shared = sharedByFile(t, () => startLiveServer(t))

t.test('scripts/follow-task.ts prints the history, then live events, and exits with the task', async (t) => {
  const server = shared()
  const { store } = server
  const taskId = await seedTask(server.db, 'alice')
  await emitProgress(store, taskId, 'alice', 10)
  store.log({ taskId, level: 'info', message: 'before the script started' })
  await store.flush()

  const child = spawn(process.execPath, ['--import=tsx', script, String(taskId)], {
    env: { ...process.env, TOPUP_URL: server.baseUrl, TOPUP_TOKEN: server.token('alice') },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  // The history is on screen once the script is subscribed; then the rest is live.
  await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    if (stdout.includes('before the script started')) resolve()
  }))
  store.log({ taskId, level: 'warning', message: 'while following' })
  await store.flush()
  await store.commit((trx, emit) => emit.event(taskId, {
    type: 'task.status', data: { status: 'success', previous: 'running', reason: null, user_id: 'alice' },
  }))

  t.equal(await exited, 0, `exit 0 on success (stderr: ${stderr})`)
  const lines = stdout.trim().split('\n')
  t.equal(lines.length, 4, stdout)
  t.match(lines[0], /^# {4}1 \d\d:\d\d:\d\d\.\d{3} PROGRESS 10% at step$/)
  t.match(lines[1], /^# {4}2 .* INFO +before the script started$/)
  t.match(lines[2], /^# {4}3 .* WARNING +while following$/)
  t.match(lines[3], /^# {4}4 .* STATUS +running → success$/)
})

t.test('scripts/follow-task.ts stops with a clear message on someone else\'s task', async (t) => {
  const server = shared()
  const taskId = await seedTask(server.db, 'bob')
  const child = spawn(process.execPath, ['--import=tsx', script, String(taskId)], {
    env: { ...process.env, TOPUP_URL: server.baseUrl, TOPUP_TOKEN: server.token('alice') },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  t.equal(code, 1)
  t.match(stderr, /not_found: task \d+ not found/)
})
