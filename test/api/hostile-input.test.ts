import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { InjectOptions } from 'fastify'
import t, { type Test } from 'tap'
import { WebSocket } from 'ws'
import type { Db } from '../../src/db/connect.js'
import type { Engine } from '../../src/engine/engine.js'
import { buildTestApp, sharedByFile, type TestApp } from '../helpers/app.js'
import { hostileBodies, hostilePathValues, hostileQueryValues, type JsonSchema } from './hostile-values.js'
import { conformanceChecker, type OpenApiDocument } from './openapi-conformance.js'

/**
 * The API's promise to clients: bad input gets a 4xx problem+json with a stable code and changes nothing, and
 * every answer, to good input or bad, is one the OpenAPI document lists for the operation (status, content type,
 * schema). The routes come from the app's own document, so a route added later is swept too.
 */

const workflow = {
  name: 'hostile_flow', display_name: 'Hostile', version: '1',
  parameters: { seconds: { type: 'string', default: '0.2', pattern: '^[0-9.]+$' } },
  steps: [
    { id: 'sleep', display_name: 'Sleep', type: 'exec', host: 'local', inputs: { command: 'sleep {{ params.seconds }}' } },
    { id: 'done', display_name: 'Done', type: 'exec', host: 'local', inputs: { command: 'echo done' } },
  ],
}

interface Operation { method: string; path: string; operationId: string; params: { in: string; name: string; schema: JsonSchema }[]; body?: JsonSchema; open: boolean }
interface Probe { what: string; request: InjectOptions }

/** Routes whose documented answer to some bad input is a 200 that says so, e.g. validate's `valid: false`. */
const refusalsIn200: Record<string, (body: Record<string, unknown>) => boolean> = {
  'POST /api/workflows/{workflow_name}/validate': (body) => body.valid === false,
}

/** Resolves once `taskId` has `status` (subscribed before the request that leads there is sent). */
function statusReached(engine: Engine, taskId: number, status: string): Promise<void> {
  return new Promise((resolve) => {
    const stop = engine.bus.subscribe((e) => {
      if (e.type === 'task.status' && e.task_id === taskId && e.data.status === status) { stop(); resolve() }
    })
  })
}

/** A real app and engine with one paused task of alice's (it has executions, events and logs). */
async function setup(t: Test) {
  const test = await buildTestApp(t, { workflows: [workflow], engine: true })
  const { engine } = test
  const alice = test.authFor('alice')
  const created = await test.app.inject({ method: 'POST', url: '/api/tasks', headers: alice, payload: { workflow_name: workflow.name, start: true } })
  t.equal(created.statusCode, 201, 'the valid create body is accepted')
  const taskId = (created.json() as { id: number }).id
  const paused = statusReached(engine, taskId, 'paused')
  t.equal((await test.app.inject({ method: 'POST', url: `/api/tasks/${taskId}/pause`, headers: alice })).statusCode, 200)
  await paused
  await engine.idle()
  const execution = await test.db.selectFrom('task_executions').select('id').where('task_id', '=', taskId).executeTakeFirstOrThrow()
  return { ...test, alice, taskId, executionId: execution.id }
}

// One app and task for the file: every test checks that it changes nothing.
const shared = sharedByFile(t, () => setup(t))

/** Everything a rejected request could have touched. */
async function snapshot(db: Db): Promise<string> {
  const rows = await Promise.all(['tasks', 'task_parameters', 'task_executions', 'task_events', 'task_logs', 'workflows']
    .map((table) => db.selectFrom(table as 'tasks').selectAll().execute()))
  return JSON.stringify(rows)
}

function operationsOf(app: TestApp['app']): Operation[] {
  const doc = app.swagger() as unknown as { paths: Record<string, Record<string, {
    operationId: string; parameters?: Operation['params']; security?: unknown[]; requestBody?: { content: Record<string, { schema: JsonSchema }> }
  }>> }
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({
    method: method.toUpperCase(), path, operationId: op.operationId, params: op.parameters ?? [], open: op.security?.length === 0,
    ...(op.requestBody ? { body: op.requestBody.content['application/json']?.schema ?? {} } : {}),
  })))
}

/** The probes for one operation: each breaks exactly one thing of an otherwise valid request. */
function probesFor(op: Operation, s: Awaited<ReturnType<typeof setup>>): Probe[] {
  const validPath: Record<string, string> = { id: String(op.path.startsWith('/api/executions') ? s.executionId : s.taskId), workflow_name: workflow.name }
  const validBodies: Record<string, Record<string, unknown>> = { 'POST /api/tasks': { workflow_name: workflow.name } }
  const url = (pathValues: Record<string, string> = {}, query = '') =>
    op.path.replace(/\{(\w+)\}/g, (_, name: string) => pathValues[name] ?? validPath[name] ?? '1') + (query ? `?${query}` : '')
  const valid = validBodies[`${op.method} ${op.path}`] ?? {}
  const base = (): InjectOptions => ({
    method: op.method as InjectOptions['method'], url: url(), headers: { ...s.alice },
    ...(op.body ? { payload: JSON.stringify(valid), headers: { ...s.alice, 'content-type': 'application/json' } } : {}),
  })
  const probes: Probe[] = []
  for (const p of op.params.filter((p) => p.in === 'path')) {
    for (const [what, value] of hostilePathValues) probes.push({ what: `path ${p.name} ${what}`, request: { ...base(), url: url({ [p.name]: value }) } })
  }
  for (const p of op.params.filter((p) => p.in === 'query')) {
    for (const [what, query] of hostileQueryValues(p.name, p.schema)) probes.push({ what: `query ${what}`, request: { ...base(), url: url({}, query) } })
  }
  if (op.body) {
    for (const b of hostileBodies(op.body, valid)) {
      const headers: Record<string, string> = { ...s.alice, ...(b.contentType === '' ? {} : { 'content-type': b.contentType ?? 'application/json' }) }
      probes.push({ what: `body ${b.what}`, request: { ...base(), headers, payload: b.payload } })
    }
  } else if (op.method !== 'GET') {
    for (const [what, payload] of [['truncated JSON', '{"a": '], ['1.1 MiB body', `"${'x'.repeat(1_100_000)}"`], ['__proto__ key', '{"__proto__": {"admin": true}}']]) {
      probes.push({ what: `body ${what}`, request: { ...base(), headers: { ...s.alice, 'content-type': 'application/json' }, payload } })
    }
  }
  if (!op.open) {
    const expired = `Bearer ${s.tokenFor('alice', 'user', -60)}`
    const tokens: [string, string | undefined][] = [['no token', undefined], ['bare Bearer', 'Bearer'], ['garbage token', 'Bearer x.y.z'],
      ['Basic auth', 'Basic YWxpY2U6eA=='], ['expired token', expired], ['10 kB token', `Bearer ${'a'.repeat(10_000)}`]]
    for (const [what, authorization] of tokens) {
      const { authorization: _, ...rest } = base().headers as Record<string, string>
      probes.push({ what, request: { ...base(), headers: authorization ? { ...rest, authorization } : rest } })
    }
  }
  return probes
}

/** What is wrong with a response to a hostile request (empty: nothing). */
function complaints(res: { statusCode: number; headers: Record<string, unknown>; body: string }, route = ''): string[] {
  const out: string[] = []
  if (res.statusCode === 200 && refusalsIn200[route]?.(JSON.parse(res.body) as Record<string, unknown>)) return out
  if (res.statusCode < 400 || res.statusCode >= 500) out.push(`status ${res.statusCode}, want 4xx`)
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) out.push(`content-type ${String(res.headers['content-type'])}`)
  let body: Record<string, unknown> = {}
  try { body = JSON.parse(res.body) as Record<string, unknown> } catch { out.push(`body is not JSON: ${res.body.slice(0, 120)}`) }
  for (const key of ['type', 'title', 'detail', 'code']) if (typeof body[key] !== 'string') out.push(`no string "${key}"`)
  if (body.status !== res.statusCode) out.push(`body status ${String(body.status)} ≠ HTTP ${res.statusCode}`)
  return out
}

t.test('every route refuses hostile input with a 4xx problem and changes nothing', async (t) => {
  const s = shared()
  const first = await snapshot(s.db)
  const operations = operationsOf(s.app)
  const conformance = conformanceChecker(s.app.swagger() as unknown as OpenApiDocument)
  t.ok(operations.length >= 15, `the OpenAPI document lists the routes (${operations.length})`)
  for (const op of operations) {
    const route = `${op.method} ${op.path}`
    await t.test(route, async (t) => {
      for (const probe of probesFor(op, s)) {
        const before = op.method === 'GET' ? '' : await snapshot(s.db)
        const res = await s.app.inject(probe.request)
        const changed = op.method === 'GET' || (await snapshot(s.db)) === before ? [] : ['the database changed']
        t.same([...complaints(res, route), ...conformance.response(op.method, op.path, res), ...changed], [], `${route} with ${probe.what} → ${res.statusCode} ${res.body.slice(0, 160)}`)
      }
    })
  }
  t.equal(await snapshot(s.db), first, 'nothing was created or changed by the sweep')
})

t.test('methods a path does not have are 4xx problems', async (t) => {
  const s = shared()
  const byPath = new Map<string, Set<string>>()
  for (const op of operationsOf(s.app)) byPath.set(op.path, (byPath.get(op.path) ?? new Set()).add(op.method))
  const before = await snapshot(s.db)
  for (const [path, methods] of byPath) {
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'id' ? String(s.taskId) : workflow.name))
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].filter((m) => !methods.has(m))) {
      const res = await s.app.inject({ method: method as InjectOptions['method'], url, headers: { ...s.alice, 'content-type': 'application/json' }, payload: '{}' })
      t.same(complaints(res), [], `${method} ${path} → ${res.statusCode} ${res.body.slice(0, 160)}`)
    }
  }
  t.equal(await snapshot(s.db), before, 'nothing changed')
})

/** Writes a raw HTTP request and resolves with what came back before the server closed (or 3 s passed). */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    const done = () => { clearTimeout(timer); socket.destroy(); resolve(answer) }
    const timer = setTimeout(done, 3000)
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1')
      // After a 101 the server waits for frames: send garbage, then wait for it to hang up.
      if (answer.startsWith('HTTP/1.1 101') && answer.includes('\r\n\r\n') && !socket.destroyed) socket.write(Buffer.from([0xff, 0xff, 0x00, 0x13, 0x37]))
    })
    socket.on('close', done)
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? done() : reject(error)))
    socket.write(request)
  })
}

/** Opens a WebSocket; resolves with the HTTP status it was refused with, or 101 once open (then closes it). */
function upgradeStatus(url: string, protocols: string[] | undefined, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers })
    ws.once('open', () => { ws.close(); resolve(101) })
    ws.once('unexpected-response', (_req, res) => { res.resume(); resolve(res.statusCode ?? 0) })
    ws.once('error', reject)
  })
}

t.test('garbage WebSocket upgrades never crash the server', async (t) => {
  const s = shared()
  await s.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = s.app.server.address() as AddressInfo
  const ws = `ws://127.0.0.1:${port}/api/ws`
  const token = s.tokenFor('alice')

  const plain = await s.app.inject({ url: '/api/ws', headers: s.alice })
  t.same(complaints(plain), [], `GET /api/ws without an upgrade → ${plain.statusCode} ${plain.body.slice(0, 160)}`)

  const refusals: [string, string, string[] | undefined, Record<string, string>][] = [
    ['no token', ws, ['topup.v1'], {}],
    ['garbage bearer sub-protocol', ws, ['topup.v1', 'bearer.garbage'], {}],
    ['garbage ?token=', `${ws}?token=${'%FF'.repeat(50)}`, undefined, {}],
    ['repeated ?token=', `${ws}?token=a&token=b`, undefined, {}],
    ['garbage Authorization header', ws, undefined, { authorization: 'Bearer ../../etc/passwd' }],
    ['Basic Authorization header', ws, undefined, { authorization: 'Basic YWxpY2U6eA==' }],
  ]
  for (const [what, url, protocols, headers] of refusals) {
    t.equal(await upgradeStatus(url, protocols, headers), 401, `${what}: refused with 401`)
  }

  const handshake = (headers: string) => `GET /api/ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`
  const raw: [string, string][] = [
    ['wrong websocket version', handshake('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n')],
    ['missing key', handshake('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n')],
    ['unknown sub-protocol', handshake('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: nope.v9\r\n')],
    ['control bytes in the sub-protocol', handshake('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ,,;;\u0001\u007f, bearer.\r\n')],
    ['garbage frames after the upgrade', handshake('Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n')],
    ['not HTTP at all', '\u0000\u0001GARBAGE /api/ws\r\n\r\n'],
  ]
  for (const [what, request] of raw) {
    const answer = await rawExchange(port, request)
    t.match(answer, /^HTTP\/1\.1 (101|4\d\d) /, `${what}: answered ${answer.split('\r\n')[0] || '(nothing)'}`)
  }

  const health = await fetch(`http://127.0.0.1:${port}/api/health`)
  t.equal(health.status, 200, 'the server still answers')
})

/** Operations whose valid request cannot succeed in this test, each answering a documented problem instead. */
const no2xxHere: Record<string, string> = {
  liveEvents: 'a plain GET of the WebSocket (its session is checked below)',
  listDays: 'no site to list here',
  listScheduleRuns: 'no schedules file here',
  downloadArtifact: 'no step downloaded a file here',
}

t.test('every operation answers valid input as documented', async (t) => {
  const s = shared()
  const conformance = conformanceChecker(s.app.swagger() as unknown as OpenApiDocument)
  const operations = operationsOf(s.app)
  const answered = new Map<string, number>()
  // GETs as an admin (an admin-only listing answers 2xx too), the rest as the task's owner.
  const admin = s.authFor('root', 'admin')
  const call = async (operationId: string, path: Record<string, string | number> = {}, options: { query?: string; body?: unknown } = {}) => {
    const op = operations.find((o) => o.operationId === operationId)!
    const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => String(path[name] ?? (name === 'workflow_name' ? workflow.name : name === 'name' ? 'nightly' : s.taskId)))
    const res = await s.app.inject({
      method: op.method as InjectOptions['method'], url: `${url}${options.query ? `?${options.query}` : ''}`,
      headers: { ...(op.method === 'GET' ? admin : s.alice), ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(options.body !== undefined ? { payload: JSON.stringify(options.body) } : {}),
    })
    t.same(conformance.response(op.method, op.path, res), [], `${operationId} → ${res.statusCode} ${res.body.slice(0, 160)}`)
    answered.set(operationId, res.statusCode)
    return res
  }

  for (const op of operations.filter((o) => o.method === 'GET')) {
    await call(op.operationId, { id: op.path.startsWith('/api/executions') ? s.executionId : s.taskId },
      { query: op.operationId === 'listDays' ? 'round=round18' : op.operationId === 'listTasks' ? 'status=paused&limit=5' : '' })
  }
  await call('validateParameters', {}, { body: { parameters: { seconds: 'x' } } })
  const created = await call('createTask', {}, { body: { workflow_name: workflow.name, parameters: { seconds: '30' } } })
  const id = (created.json() as { id: number }).id
  const running = statusReached(s.engine, id, 'running')
  await call('startTask', { id })
  await running
  await call('pauseTask', { id }, { body: {} })
  await call('resumeTask', { id: s.taskId })
  await call('cancelTask', { id })
  await call('setMyNotifications', {}, { body: { triggers: ['review', 'failed'], language: 'en' } })

  t.same(operations.map((o) => o.operationId).filter((o) => !answered.has(o)), [], 'every operation was called')
  const failed = [...answered].filter(([o, status]) => (status < 200 || status >= 300) && !(o in no2xxHere))
  t.same(failed, [], 'each answered 2xx, except where this test cannot give it what it needs')
  await s.engine.idle()
})

t.test('the WebSocket session speaks the documented messages and close codes', async (t) => {
  const s = shared()
  const conformance = conformanceChecker(s.app.swagger() as unknown as OpenApiDocument)
  if (!s.app.server.listening) await s.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = s.app.server.address() as AddressInfo
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, ['topup.v1', `bearer.${s.tokenFor('alice')}`])
  const received: { type: string; code?: string }[] = []
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  const waiting: { done: () => boolean; resolve: () => void }[] = []
  const until = (done: () => boolean) => new Promise<void>((resolve) => waiting.push({ done, resolve }))
  ws.on('message', (data) => {
    received.push(JSON.parse(data.toString()) as { type: string })
    for (const w of waiting.filter((w) => w.done())) w.resolve()
  })
  const send = (...messages: unknown[]) => { for (const m of messages) ws.send(typeof m === 'string' ? m : JSON.stringify(m)) }
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  t.equal(ws.protocol, 'topup.v1', 'the server selects topup.v1')
  send({ type: 'subscribe', task_id: s.taskId, after_seq: 0 }, { type: 'subscribe_tasks' })
  await until(() => received.some((m) => m.type === 'event'))
  send({ type: 'unsubscribe', task_id: s.taskId }, { type: 'unsubscribe_tasks' }, { type: 'subscribe', task_id: 999_999 },
    { type: 'subscribe', task_id: 0 }, { type: 'nope' }, 'not json', { type: 'ping' })
  await until(() => received.some((m) => m.type === 'pong'))
  const types = new Set(received.map((m) => m.type))
  t.same(['subscribed', 'unsubscribed', 'event', 'error', 'pong'].filter((type) => !types.has(type)), [], 'each kind of message came')
  // Past the burst: an error rate_limited, then the documented close 1008.
  for (let i = 0; i <= s.config.WS_MESSAGE_BURST; i++) ws.send(JSON.stringify({ type: 'ping' }))
  t.equal(await closed, 1008, 'a client over its message budget is closed with 1008')
  t.ok(received.some((m) => m.code === 'rate_limited'), 'after an error rate_limited')
  t.same(received.flatMap((m) => conformance.wsMessage(m)), [], `all ${received.length} messages match components/schemas/WsServerMessage`)
})
