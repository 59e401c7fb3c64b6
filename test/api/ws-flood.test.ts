import t from 'tap'
import type { TaskEventSource } from '../../src/engine/interfaces.js'
import type { EventStore } from '../../src/engine/event-store.js'
import { emitProgress, gaps, LiveClient, seedTask, startLiveServer, type LiveServer } from './ws-helpers.js'

const open = (server: LiveServer, user: string) =>
  LiveClient.open(server.wsUrl, ['topup.v1', `bearer.${server.token(user)}`])

async function history(store: EventStore, taskId: number, lines: number): Promise<void> {
  for (let i = 1; i <= lines; i++) store.log({ taskId, level: 'info', message: `history ${i}` })
  await store.flush()
}

/** Counts the history reads per task, and how many ran at once at most. */
function readCounter() {
  const reads = new Map<number, number>()
  let running = 0
  let peak = 0
  const wrap = (read: TaskEventSource['read']): TaskEventSource['read'] => async (taskId, afterSeq, limit) => {
    reads.set(taskId, (reads.get(taskId) ?? 0) + 1)
    peak = Math.max(peak, ++running)
    try {
      // A turn of the event loop inside the read, so that reads that could overlap do.
      await new Promise((resolve) => setImmediate(resolve))
      return await read(taskId, afterSeq, limit)
    } finally {
      running--
    }
  }
  return { wrap, reads: (taskId: number) => reads.get(taskId) ?? 0, peak: () => peak }
}

t.test('a flood of subscribes for one task starts one replay; the client gets every event once, in order', async (t) => {
  const counter = readCounter()
  const server = await startLiveServer(t, {}, undefined, counter.wrap)
  const taskId = await seedTask(server.db, 'alice')
  await history(server.store, taskId, 2000)

  const client = await open(server, 'alice')
  t.teardown(() => client.close())
  for (let i = 0; i < 80; i++) client.send({ type: 'subscribe', task_id: taskId, after_seq: 0 })
  // Live events while the replay runs, and after it.
  for (let i = 1; i <= 50; i++) await emitProgress(server.store, taskId, 'alice', i)
  await client.next((m) => m.event?.seq === 2050, 20_000)
  await emitProgress(server.store, taskId, 'alice', 99)
  await client.next((m) => m.event?.seq === 2051)

  const answers = client.messages.filter((m) => m.type === 'subscribed')
  t.equal(answers.length, 80, 'every subscribe is answered')
  t.same(answers[0], { type: 'subscribed', task_id: taskId, after_seq: 0 })
  t.ok(answers.every((m, i) => i === 0 || m.after_seq! >= answers[i - 1]!.after_seq!),
    'a repeated subscribe answers where the stream is, which only moves forward')
  t.equal(gaps(client.events(taskId).map((e) => e.seq), 2051), null, 'exactly 1..2051, each once, in order')
  // One replay of 2,000 events reads 4 full pages of 500 and a short one, and a few more while live events keep
  // coming; 80 replays would read at least 400.
  t.ok(counter.reads(taskId) <= 12, `${counter.reads(taskId)} history reads for the task`)

  // To replay again, a client unsubscribes first.
  client.send({ type: 'unsubscribe', task_id: taskId })
  client.send({ type: 'subscribe', task_id: taskId, after_seq: 2040 })
  const from = client.messages.length
  await client.next((m) => m.event?.seq === 2051, 10_000, from)
  t.same(client.messages.slice(from).filter((m) => m.type === 'event').map((m) => m.event!.seq),
    [2041, 2042, 2043, 2044, 2045, 2046, 2047, 2048, 2049, 2050, 2051], 'after unsubscribe, a subscribe replays')
})

t.test('a client sending past its burst is told rate_limited and closed with 1008; others carry on', async (t) => {
  const server = await startLiveServer(t, { WS_MESSAGE_BURST: '20', WS_MESSAGES_PER_SECOND: '1' })
  const flooder = await open(server, 'alice')
  const other = await open(server, 'alice')
  t.teardown(() => other.close())
  for (let i = 0; i < 500; i++) flooder.send({ type: 'ping' })
  const { code, reason } = await flooder.closed
  t.equal(code, 1008, 'closed as a policy violation')
  t.match(reason, /rate limit/)
  const error = flooder.messages.find((m) => m.type === 'error')
  t.match(error, { code: 'rate_limited', message: /at most 20 at once, then 1 per second/ })
  // Messages taken in but not handled yet when the budget ran out are dropped with the connection.
  const pongs = flooder.messages.filter((m) => m.type === 'pong').length
  t.ok(pongs <= 21, `${pongs} of 500 pings were answered: no more than the burst`)
  t.equal(flooder.messages.at(-1)!.type, 'error', 'nothing after the error')

  other.send({ type: 'ping' })
  await other.next((m) => m.type === 'pong')
  t.equal((await fetch(`${server.baseUrl}/api/health`)).status, 200)
})

t.test('replays waiting for their turn are dropped when their connection closes', async (t) => {
  const counter = readCounter()
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  let blockerTask = 0
  let blocked = 0
  const server = await startLiveServer(t, { HISTORY_READS_MAX: '1' }, undefined, (read) => counter.wrap(async (taskId, afterSeq, limit) => {
    if (taskId === blockerTask) { blocked++; await released }
    return read(taskId, afterSeq, limit)
  }))
  blockerTask = await seedTask(server.db, 'alice')
  await history(server.store, blockerTask, 10)
  const queued: number[] = []
  for (let i = 0; i < 10; i++) {
    queued.push(await seedTask(server.db, 'bob'))
    await history(server.store, queued.at(-1)!, 10)
  }

  // The one read slot is held by a replay that cannot finish yet.
  const holder = await open(server, 'alice')
  t.teardown(() => holder.close())
  holder.send({ type: 'subscribe', task_id: blockerTask })
  await holder.next((m) => m.type === 'subscribed')
  for (let i = 0; i < 100 && blocked === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(blocked, 1, 'the slot is held')

  const leaving = await open(server, 'bob')
  for (const taskId of queued) leaving.send({ type: 'subscribe', task_id: taskId })
  await leaving.next((m) => m.type === 'subscribed' && m.task_id === queued.at(-1))
  leaving.ws.terminate()
  await leaving.closed
  for (let i = 0; i < 200 && server.app.websocketServer.clients.size > 1; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(server.app.websocketServer.clients.size, 1, 'the server saw it go')

  release()
  await holder.next((m) => m.event?.seq === 10)
  // Reads are served in order: once a later one has run, nothing queued before it is still waiting.
  const later = await seedTask(server.db, 'alice')
  await history(server.store, later, 3)
  holder.send({ type: 'subscribe', task_id: later })
  await holder.next((m) => m.event?.task_id === later && m.event.seq === 3)
  t.same(queued.map((taskId) => counter.reads(taskId)), queued.map(() => 0), 'none of the closed connection\'s replays read')
})

t.test('replays across the server read at most HISTORY_READS_MAX pages at once, and every client gets its events', async (t) => {
  const counter = readCounter()
  const server = await startLiveServer(t, { HISTORY_READS_MAX: '2' }, undefined, counter.wrap)
  const clients: Array<{ client: LiveClient; taskId: number }> = []
  for (let i = 0; i < 20; i++) {
    const taskId = await seedTask(server.db, 'alice')
    await history(server.store, taskId, 1200)
    clients.push({ client: await open(server, 'alice'), taskId })
  }
  t.teardown(() => Promise.all(clients.map(({ client }) => client.close())))
  for (const { client, taskId } of clients) client.send({ type: 'subscribe', task_id: taskId })
  for (const { client, taskId } of clients) {
    await client.next((m) => m.event?.seq === 1200, 30_000)
    t.equal(gaps(client.events(taskId).map((e) => e.seq), 1200), null, `task ${taskId}: 1..1200`)
  }
  t.equal(counter.peak(), 2, 'two reads ran at once at most (and did overlap)')
})

t.test('a replay waiting long for its turn beside a busy task (more live events than it keeps pending) misses none', async (t) => {
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  let blockerTask = 0
  let blocked = 0
  const server = await startLiveServer(t, { HISTORY_READS_MAX: '1' }, undefined, (read) => async (taskId, afterSeq, limit) => {
    if (taskId === blockerTask) { blocked++; await released }
    return read(taskId, afterSeq, limit)
  })
  blockerTask = await seedTask(server.db, 'alice')
  await history(server.store, blockerTask, 1)
  const busy = await seedTask(server.db, 'alice')
  await history(server.store, busy, 100)

  const holder = await open(server, 'alice')
  t.teardown(() => holder.close())
  holder.send({ type: 'subscribe', task_id: blockerTask })
  for (let i = 0; i < 100 && blocked === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(blocked, 1, 'the slot is held')
  const client = await open(server, 'alice')
  t.teardown(() => client.close())
  client.send({ type: 'subscribe', task_id: busy })
  await client.next((m) => m.type === 'subscribed')
  // Far more live events than a stream keeps pending (1,000) while its replay waits.
  for (let i = 1; i <= 2500; i++) {
    if (i % 10 === 0) await emitProgress(server.store, busy, 'alice', i % 100)
    else server.store.log({ taskId: busy, level: 'info', message: `live ${i}` })
  }
  await server.store.flush()
  t.equal(client.events(busy).length, 0, 'nothing sent before the replay\'s turn')
  release()
  await client.next((m) => m.event?.seq === 2600, 20_000)
  t.equal(gaps(client.events(busy).map((e) => e.seq), 2600), null, 'exactly 1..2600')
})
