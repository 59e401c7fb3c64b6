import t from 'tap'
import { sharedByFile } from '../helpers/app.js'
import { emitProgress, gaps, LiveClient, seedTask, startLiveServer, type LiveServer } from './ws-helpers.js'

const open = (server: LiveServer, user: string) =>
  LiveClient.open(server.wsUrl, ['topup.v1', `bearer.${server.token(user)}`])

// One server for the file; each test uses tasks and clients of its own.
const shared = sharedByFile(t, () => startLiveServer(t))

t.test('subscribe with after_seq replays the later events from the database, then goes live', async (t) => {
  const server = shared()
  const { store } = server
  const taskId = await seedTask(server.db, 'alice')
  for (let i = 1; i <= 7; i++) {
    if (i % 2) store.log({ taskId, level: 'info', message: `line ${i}` })
    else await emitProgress(store, taskId, 'alice', i)
  }
  await store.flush()

  const client = await open(server, 'alice')
  t.teardown(() => client.close())
  client.send({ type: 'subscribe', task_id: taskId, after_seq: 3 })
  t.same(await client.next((m) => m.type === 'subscribed'), { type: 'subscribed', task_id: taskId, after_seq: 3 })
  await client.next((m) => m.event?.seq === 7)
  t.same(client.events(taskId).map((e) => e.seq), [4, 5, 6, 7], 'only what follows after_seq')
  t.equal(client.events(taskId)[1]!.type, 'log', 'log lines interleave with other events')
  t.match(client.events(taskId)[1]!.data, { message: 'line 5', level: 'info' })

  await emitProgress(store, taskId, 'alice', 80)
  store.log({ taskId, level: 'warning', message: 'live line' })
  const live = await client.next((m) => m.event?.seq === 9)
  t.match(live.event, { type: 'log', data: { message: 'live line' } }, 'then live events')
  t.same(client.events(taskId).map((e) => e.seq), [4, 5, 6, 7, 8, 9])

  client.send({ type: 'unsubscribe', task_id: taskId })
  await client.next((m) => m.type === 'unsubscribed')
  await emitProgress(store, taskId, 'alice', 90)
  client.send({ type: 'ping' })
  await client.next((m) => m.type === 'pong', 5000, client.messages.length - 1)
  t.notOk(client.events(taskId).some((e) => e.seq === 10), 'nothing after unsubscribe')
})

t.test('events published while a long replay runs are neither lost nor doubled', async (t) => {
  const server = shared()
  const { store } = server
  const taskId = await seedTask(server.db, 'alice')
  for (let i = 0; i < 3000; i++) store.log({ taskId, level: 'info', message: `history ${i}` })
  await store.flush()

  const client = await open(server, 'alice')
  t.teardown(() => client.close())
  client.send({ type: 'subscribe', task_id: taskId, after_seq: 0 })
  // Keep writing while the replay pages are being read and sent.
  let written = 3000
  for (let i = 0; i < 200; i++) {
    if (i % 3 === 0) await emitProgress(store, taskId, 'alice', i % 100)
    else store.log({ taskId, level: 'info', message: `during ${i}` })
    written++
    if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  await store.flush()
  await client.next((m) => m.event?.seq === written, 20_000)
  t.equal(gaps(client.events(taskId).map((e) => e.seq), written), null, `exactly 1..${written}`)
})

t.test('clients reconnecting in the middle of a busy stream see every event exactly once', async (t) => {
  const server = shared()
  const { store } = server
  const taskId = await seedTask(server.db, 'alice')
  const total = 3000
  let producing = true

  const producer = (async () => {
    for (let i = 1; i <= total; i++) {
      if (i % 10 === 0) await emitProgress(store, taskId, 'alice', i / 30)
      else store.log({ taskId, level: 'info', message: `line ${i}` })
      if (i % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await store.flush()
    producing = false
  })()

  /** Follows the task, dropping the connection every `every` events (alternately close and terminate). */
  async function follower(every: number): Promise<{ seqs: number[]; reconnects: number; midStream: number }> {
    const seqs: number[] = []
    let reconnects = 0
    let midStream = 0
    for (let round = 0; round < 200; round++) {
      const client = await open(server, 'alice')
      client.send({ type: 'subscribe', task_id: taskId, after_seq: seqs.at(-1) ?? 0 })
      const target = Math.min((seqs.at(-1) ?? 0) + every, total)
      await client.next((m) => (m.event?.seq ?? 0) >= target, 20_000)
      // What a client has processed when its connection drops is what it resumes from.
      seqs.push(...client.events(taskId).map((e) => e.seq))
      if (round % 2) client.ws.terminate()
      await client.close()
      if (seqs.at(-1) === total) return { seqs, reconnects, midStream }
      reconnects++
      if (producing) midStream++
    }
    throw new Error('follower did not finish')
  }

  const results = await Promise.all([follower(97), follower(250), follower(611)])
  await producer
  t.notOk(producing)
  for (const [i, { seqs, reconnects, midStream }] of results.entries()) {
    t.ok(reconnects >= 4 && midStream >= 2, `follower ${i} reconnected ${reconnects} times, ${midStream} while events were written`)
    t.equal(gaps(seqs, total), null, `follower ${i}: exactly 1..${total}, no gap, no duplicate`)
  }
})
