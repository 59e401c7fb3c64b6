import { Writable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import t from 'tap'
import { loggerOptions } from '../../src/logger.js'
import { sharedByFile } from '../helpers/app.js'
import { LiveClient, seedTask, startLiveServer } from './ws-helpers.js'

// One server for the file; each test uses tasks and clients of its own.
const shared = sharedByFile(t, () => startLiveServer(t))

t.test('the token may come as the bearer.<token> sub-protocol; the server selects topup.v1', async (t) => {
  const server = shared()
  const client = await LiveClient.open(server.wsUrl, ['topup.v1', `bearer.${server.token('alice')}`])
  t.teardown(() => client.close())
  t.equal(client.ws.protocol, 'topup.v1', 'the bearer entry is never echoed back')
  client.send({ type: 'ping' })
  t.same(await client.next((m) => m.type === 'pong'), { type: 'pong' })
})

t.test('the token may come as ?token= or as an Authorization header', async (t) => {
  const server = shared()
  const viaQuery = await LiveClient.open(`${server.wsUrl}?token=${server.token('alice')}`)
  t.teardown(() => viaQuery.close())
  viaQuery.send({ type: 'ping' })
  await viaQuery.next((m) => m.type === 'pong')
  const viaHeader = await LiveClient.open(server.wsUrl, undefined, { headers: { authorization: `Bearer ${server.token('bob')}` } })
  t.teardown(() => viaHeader.close())
  viaHeader.send({ type: 'ping' })
  await viaHeader.next((m) => m.type === 'pong')
  t.pass('both authenticated')
})

t.test('a missing, forged or expired token is refused with a 401 problem+json before the upgrade', async (t) => {
  const server = shared()
  const good = server.token('alice')
  const forged = `${good.slice(0, good.lastIndexOf('.'))}.AAAA`
  for (const [name, url, protocols] of [
    ['no token', server.wsUrl, ['topup.v1']],
    ['forged protocol token', server.wsUrl, ['topup.v1', `bearer.${forged}`]],
    ['garbage query token', `${server.wsUrl}?token=nope`, undefined],
  ] as const) {
    const error = await LiveClient.open(url, protocols ? [...protocols] : undefined).then(
      (c) => { void c.close(); return null },
      (e: { statusCode?: number; contentType?: string; body?: string }) => e,
    )
    t.equal(error?.statusCode, 401, `${name}: 401`)
    t.match(error?.contentType, /application\/problem\+json/, `${name}: problem+json`)
    t.equal(JSON.parse(error?.body ?? '{}').code, 'unauthorized', `${name}: code`)
  }
})

t.test('a bad message gets an error reply and the connection stays usable', async (t) => {
  const server = shared()
  const client = await LiveClient.open(server.wsUrl, ['topup.v1', `bearer.${server.token('alice')}`])
  t.teardown(() => client.close())
  const cases: [unknown, string][] = [
    ['not json', 'bad_message'],
    ['[1,2]', 'bad_message'],
    [{ type: 'launch' }, 'unknown_type'],
    [{ type: 'subscribe', task_id: 'x' }, 'validation_failed'],
    [{ type: 'subscribe', task_id: 1, after_seq: -1 }, 'validation_failed'],
    [{ type: 'subscribe', task_id: 999 }, 'not_found'],
  ]
  for (const [message, code] of cases) {
    const from = client.messages.length
    client.send(message)
    const reply = await client.next((m) => m.type === 'error', 5000, from)
    t.equal(reply.code, code, `${JSON.stringify(message)} → ${code}`)
  }
  client.send({ type: 'ping' })
  await client.next((m) => m.type === 'pong')
})

t.test('the token never reaches the log, whichever way it came', async (t) => {
  let logged = ''
  const sink = new Writable({ write(chunk, _enc, done) { logged += chunk.toString(); done() } })
  const logger = pino({ ...loggerOptions('trace') }, sink) as unknown as FastifyBaseLogger
  const server = await startLiveServer(t, {}, logger)
  const token = server.token('alice')
  const taskId = await seedTask(server.db, 'alice')
  for (const client of [
    await LiveClient.open(`${server.wsUrl}?token=${token}`),
    await LiveClient.open(server.wsUrl, ['topup.v1', `bearer.${token}`]),
  ]) {
    client.send({ type: 'subscribe', task_id: taskId })
    await client.next((m) => m.type === 'subscribed')
    await client.close()
  }
  await LiveClient.open(`${server.wsUrl}?token=${token}x`).catch(() => null)
  t.ok(logged.length > 0, 'requests were logged')
  t.notOk(logged.includes(token.split('.')[2]!), 'no token signature in the log')
  t.notOk(logged.includes(token.split('.')[1]!), 'no token payload in the log')
})
