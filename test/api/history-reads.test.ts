import t from 'tap'
import { LiveClient, seedTask, startLiveServer } from './ws-helpers.js'

t.test('REST events and logs pages share the replays\' bound; past the line, 503 with Retry-After', async (t) => {
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  let blockerTask = 0
  let blocked = 0
  const server = await startLiveServer(t, { HISTORY_READS_MAX: '1', HISTORY_READS_QUEUE: '0' }, undefined, (read) =>
    async (taskId, afterSeq, limit) => {
      if (taskId === blockerTask) { blocked++; await released }
      return read(taskId, afterSeq, limit)
    })
  blockerTask = await seedTask(server.db, 'alice')
  const other = await seedTask(server.db, 'alice')
  for (const taskId of [blockerTask, other]) server.store.log({ taskId, level: 'info', message: 'a line' })
  await server.store.flush()
  const headers = { authorization: `Bearer ${server.token('alice')}` }
  const get = (path: string) => fetch(`${server.baseUrl}/api${path}`, { headers })

  // A page read that cannot finish yet holds the one slot.
  const held = get(`/tasks/${blockerTask}/events`)
  for (let i = 0; i < 200 && blocked === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(blocked, 1, 'the slot is held')

  for (const path of [`/tasks/${other}/events`, `/tasks/${other}/logs`, `/logs?task_id=${other}`, '/logs']) {
    const res = await get(path)
    t.equal(res.status, 503, `${path}: refused while the line is full`)
    t.equal(res.headers.get('retry-after'), '1')
    t.match(res.headers.get('content-type'), /^application\/problem\+json/)
    t.match(await res.json(), { code: 'service_unavailable', detail: /HISTORY_READS_QUEUE/ })
  }
  // A WebSocket replay is not refused: it waits for its turn.
  const client = await LiveClient.open(server.wsUrl, ['topup.v1', `bearer.${server.token('alice')}`])
  t.teardown(() => client.close())
  client.send({ type: 'subscribe', task_id: other })
  await client.next((m) => m.type === 'subscribed')

  release()
  const first = await held
  t.equal(first.status, 200)
  t.equal((await first.json()).items.length, 1)
  await client.next((m) => m.event?.task_id === other)
  for (const path of [`/tasks/${other}/events`, `/tasks/${other}/logs`, '/logs']) {
    t.equal((await get(path)).status, 200, `${path}: answered once the slot is free`)
  }
})
