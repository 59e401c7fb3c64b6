import type { Socket } from 'node:net'
import t from 'tap'
import { WebSocket } from 'ws'
import { sharedByFile } from '../helpers/app.js'
import { gaps, LiveClient, logUntilClosed, seedTask, startLiveServer, type LiveServer, type Msg } from './ws-helpers.js'

const open = (server: LiveServer, protocols: string[], user = 'alice') =>
  LiveClient.open(server.wsUrl, [...protocols, `bearer.${server.token(user)}`])

const shared = sharedByFile(t, () => startLiveServer(t))

async function logLines(server: LiveServer, taskId: number, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) server.store.log({ taskId, level: 'info', message: `line ${i}` })
  await server.store.flush()
}

t.test('the server picks topup.v2 when it is offered, topup.v1 otherwise', async (t) => {
  const server = shared()
  for (const [offered, picked] of [
    [['topup.v2', 'topup.v1'], 'topup.v2'], [['topup.v1', 'topup.v2'], 'topup.v2'], [['topup.v2'], 'topup.v2'], [['topup.v1'], 'topup.v1'],
  ] as const) {
    const client = await open(server, [...offered])
    t.equal(client.ws.protocol, picked, `offered ${offered.join(', ')}`)
    await client.close()
  }
})

t.test('topup.v2: the events of one send come in one frame, in seq order, after the answer they follow', async (t) => {
  const server = shared()
  const taskId = await seedTask(server.db, 'alice')
  await logLines(server, taskId, 1, 1200) // history: replayed a page (500) a frame

  const client = await open(server, ['topup.v2', 'topup.v1'])
  t.teardown(() => client.close())
  client.send({ type: 'subscribe', task_id: taskId, after_seq: 0 })
  await client.next((m) => m.event?.seq === 1200)
  await logLines(server, taskId, 1201, 300) // one flush of the event store, published at once
  await client.next((m) => m.event?.seq === 1500)

  const frames = client.frames.map((text) => JSON.parse(text) as Msg)
  t.same(frames[0], { type: 'subscribed', task_id: taskId, after_seq: 0 }, 'the answer comes before any event')
  const batches = frames.slice(1)
  t.ok(batches.every((f) => f.type === 'events' && f.events!.length > 0), 'then only batches')
  t.ok(batches.length <= 5, `${batches.length} frames for 1500 events`)
  t.same(batches.at(-1)!.events!.map((e) => e.seq), Array.from({ length: 300 }, (_, i) => 1201 + i),
    'the live flush is one frame, its events in seq order')
  t.equal(gaps(client.events(taskId).map((e) => e.seq), 1500), null, 'every event once, in order')
  t.match(client.events(taskId)[1499], { type: 'log', task_id: taskId, data: { message: 'line 1500', level: 'info' } })
})

t.test('topup.v1 clients still get one event a frame, beside a v2 client of the same task', async (t) => {
  const server = shared()
  const taskId = await seedTask(server.db, 'alice')
  const v1 = await open(server, ['topup.v1'])
  const v2 = await open(server, ['topup.v2'])
  t.teardown(() => Promise.all([v1.close(), v2.close()]))
  for (const client of [v1, v2]) {
    client.send({ type: 'subscribe', task_id: taskId, after_seq: 0 })
    await client.next((m) => m.type === 'subscribed')
  }
  await logLines(server, taskId, 1, 50)
  await Promise.all([v1.next((m) => m.event?.seq === 50), v2.next((m) => m.event?.seq === 50)])

  const frames = v1.frames.slice(1)
  t.equal(frames.length, 50, 'one frame per event')
  t.ok(frames.every((text) => {
    const message = JSON.parse(text) as Msg
    return message.type === 'event' && text === JSON.stringify({ type: 'event', event: message.event })
  }), 'each {"type":"event","event":…}, as before')
  t.same(v1.events(taskId), v2.events(taskId), 'both protocols carry the same events')
})

t.test('topup.v2: one frame may hold the events of several tasks and the task-list feed, each task in seq order', async (t) => {
  const server = shared()
  const [first, second] = [await seedTask(server.db, 'alice'), await seedTask(server.db, 'alice')]
  const client = await open(server, ['topup.v2'])
  t.teardown(() => client.close())
  client.send({ type: 'subscribe_tasks' })
  for (const taskId of [first, second]) client.send({ type: 'subscribe', task_id: taskId, after_seq: 0 })
  await client.next((m) => m.type === 'subscribed' && m.task_id === second)
  const from = client.frames.length
  const at = client.messages.length

  // one transaction, published at once: lines of both tasks and a progress change of the first
  await server.store.commit(async (_trx, emit) => {
    for (let i = 1; i <= 3; i++) {
      await emit.log({ taskId: first, level: 'info', message: `first ${i}` })
      await emit.log({ taskId: second, level: 'info', message: `second ${i}` })
    }
    await emit.event(first, { type: 'task.progress', data: { progress_percentage: 50, current_step: 'step', user_id: 'alice' } })
  })
  await client.next((m) => m.event?.type === 'task.progress', 10_000, at)

  const frames = client.frames.slice(from).map((text) => JSON.parse(text) as Msg)
  t.equal(frames.length, 1, 'one frame')
  const events = frames[0]!.events!
  t.same(events.filter((e) => e.task_id === first).map((e) => [e.seq, e.type]),
    [[1, 'log'], [2, 'log'], [3, 'log'], [4, 'task.progress'], [4, 'task.progress']],
    'the first task in seq order; its progress change once for the subscription and once for the task-list feed')
  t.same(events.filter((e) => e.task_id === second).map((e) => e.seq), [1, 2, 3], 'the second task in seq order')
})

t.test('past the send memory of all clients, the client furthest behind is told to resync and closed; the others carry on', async (t) => {
  // The bound of one client is out of reach: only the bound of all of them together can close anyone.
  const server = await startLiveServer(t, {
    WS_MAX_BUFFERED_BYTES: String(1024 ** 3), WS_MAX_TOTAL_BUFFERED_BYTES: String(512 * 1024), WS_HEARTBEAT_SECONDS: '3600',
  })
  const { store } = server
  const taskId = await seedTask(server.db, 'alice')
  const subscribe = async (client: LiveClient) => {
    client.send({ type: 'subscribe', task_id: taskId, after_seq: 0 })
    await client.next((m) => m.type === 'subscribed')
  }
  const laggard = await open(server, ['topup.v2'])
  await subscribe(laggard)
  const laggardSide = [...server.app.websocketServer.clients][0]!
  const healthy = [await open(server, ['topup.v2']), await open(server, ['topup.v1'])]
  t.teardown(() => Promise.all(healthy.map((client) => client.close())))
  for (const client of healthy) await subscribe(client)

  ;(laggard.ws as unknown as { _socket: Socket })._socket.pause()
  // Bounded: 64 MB at most; the kernel's socket buffers fill first, then what the server holds passes the bound.
  let written = await logUntilClosed(store, taskId, laggardSide, { lineBytes: 4 * 1024, maxLines: 16_000 })
  t.not(laggardSide.readyState, WebSocket.OPEN, `the server closed the laggard after ${written} lines`)
  // and the task goes on
  await logLines(server, taskId, written, 10)
  written += 10

  for (const client of healthy) {
    await client.next((m) => m.event?.seq === written, 20_000)
    t.equal(gaps(client.events(taskId).map((e) => e.seq), written), null, `the ${client.ws.protocol} client got everything`)
    t.equal(client.ws.readyState, WebSocket.OPEN, 'and is still connected')
    t.notOk(client.messages.some((m) => m.type === 'resync'), 'and was not told to resync')
  }

  ;(laggard.ws as unknown as { _socket: Socket })._socket.resume()
  const { code } = await laggard.closed
  t.ok(code === 4008 || code === 1006, `the laggard was closed (${code})`)
  const got = laggard.events(taskId).map((e) => e.seq)
  if (code === 4008) t.match(laggard.messages.at(-1), { type: 'resync', task_id: taskId, after_seq: got.at(-1) }, 'after a resync')
  t.ok(got.length < written, `it had received ${got.length} of ${written} events`)
  const again = await open(server, ['topup.v2'])
  t.teardown(() => again.close())
  again.send({ type: 'subscribe', task_id: taskId, after_seq: got.at(-1) ?? 0 })
  await again.next((m) => m.event?.seq === written, 20_000)
  t.equal(gaps([...got, ...again.events(taskId).map((e) => e.seq)], written), null, 'resubscribing completes its stream')
})
