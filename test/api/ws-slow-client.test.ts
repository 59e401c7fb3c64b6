import type { Socket } from 'node:net'
import t from 'tap'
import { WebSocket } from 'ws'
import { gaps, LiveClient, logUntilClosed, seedTask, startLiveServer, type LiveServer } from './ws-helpers.js'

const open = (server: LiveServer, user: string) =>
  LiveClient.open(server.wsUrl, ['topup.v1', `bearer.${server.token(user)}`])

const BOUND = 256 * 1024

t.test('a client that stops reading is told to resync and closed; the server and other clients carry on', async (t) => {
  const server = await startLiveServer(t, { WS_MAX_BUFFERED_BYTES: String(BOUND), WS_HEARTBEAT_SECONDS: '3600' })
  const { store } = server
  const taskId = await seedTask(server.db, 'alice')

  const slow = await open(server, 'alice')
  slow.send({ type: 'subscribe', task_id: taskId, after_seq: 0 })
  await slow.next((m) => m.type === 'subscribed')
  const serverSide = [...server.app.websocketServer.clients][0]!
  const serverClosed = new Promise<void>((resolve) => serverSide.once('close', () => resolve()))
  const healthy = await open(server, 'alice')
  t.teardown(() => healthy.close())
  healthy.send({ type: 'subscribe', task_id: taskId, after_seq: 0 })
  await healthy.next((m) => m.type === 'subscribed')

  ;(slow.ws as unknown as { _socket: Socket })._socket.pause()
  // Bounded: 64 MB at most; the kernel's socket buffers fill first, then the server's own buffer passes BOUND.
  const written = await logUntilClosed(store, taskId, serverSide, { lineBytes: 16 * 1024, maxLines: 4000 })
  t.not(serverSide.readyState, WebSocket.OPEN, `the server closed the slow client after ${written} lines`)
  await serverClosed
  t.ok(server.app.websocketServer.clients.size === 1, 'only the healthy client is left')

  await healthy.next((m) => m.event?.seq === written, 20_000)
  t.equal(gaps(healthy.events(taskId).map((e) => e.seq), written), null, 'the healthy client got everything')
  const health = await fetch(`${server.baseUrl}/api/health`)
  t.equal(health.status, 200, 'the server is healthy')

  ;(slow.ws as unknown as { _socket: Socket })._socket.resume()
  const { code } = await slow.closed
  t.ok(code === 4008 || code === 1006, `the slow client was closed (${code})`)
  const got = slow.events(taskId).map((e) => e.seq)
  t.ok(got.length < written, `it had received ${got.length} of ${written} events`)

  // Resubscribing from the last seq it has gives it the rest, with no gap and no duplicate.
  const again = await open(server, 'alice')
  t.teardown(() => again.close())
  again.send({ type: 'subscribe', task_id: taskId, after_seq: got.at(-1) ?? 0 })
  await again.next((m) => m.event?.seq === written, 20_000)
  t.equal(gaps([...got, ...again.events(taskId).map((e) => e.seq)], written), null, 'resync completes the stream')
})

t.test('the server pings; a client that stops answering is dropped, one that answers stays', async (t) => {
  const server = await startLiveServer(t, { WS_HEARTBEAT_SECONDS: '1' })
  const lively = await open(server, 'alice')
  t.teardown(() => lively.close())
  const silent = await LiveClient.open(server.wsUrl, ['topup.v1', `bearer.${server.token('bob')}`], { autoPong: false })
  let pings = 0
  silent.ws.on('ping', () => { pings++ })
  const { code } = await silent.closed
  t.equal(code, 1006, 'terminated without a close frame')
  t.ok(pings >= 1, `it had been pinged ${pings} times`)
  t.equal(lively.ws.readyState, WebSocket.OPEN, 'the answering client is still connected')
  lively.send({ type: 'ping' })
  await lively.next((m) => m.type === 'pong')
})
