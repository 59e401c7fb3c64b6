import t from 'tap'
import { enqueueDelivery } from '../../src/db/notify-repository.js'
import type { Db } from '../../src/db/connect.js'
import { parseChannels, type WecomChannel } from '../../src/notify/channel-file.js'
import { Dispatcher } from '../../src/notify/dispatcher.js'
import type { NotifyFact } from '../../src/notify/fact.js'
import { describe } from '../../src/notify/messages.js'
import { fitBytes, wecomMarkdown, WECOM_MAX_BYTES } from '../../src/notify/wecom.js'
import { freshDatabase } from '../helpers/db.js'
import { handClock } from '../helpers/hand-clock.js'
import { eventually, robotStandIn, webhookReceiver, webhookSecret } from './stand-ins.js'

const KEY = 'robot-key-0123456789'
const START = Date.parse('2026-12-02T08:00:00.000Z')
const silent = { info() {}, warn() {} }

const fact = (id: number, reason = '数据质量检查未通过：亮度偏低'): NotifyFact => ({
  trigger: 'failed', at: new Date(START).toISOString(),
  task: { id, name: `处理250624日期数据 ${id}`, workflow: 'topup_standard', user_id: 'alice', date_param: '250624' },
  step: 'check_quality', reason, duration_seconds: null, job: null,
  links: { task: `https://topup.example.org/#/tasks/${id}`, pdf: null },
})

function robot(url: string): WecomChannel {
  return parseChannels({ channels: { group: { type: 'wecom', key_env: 'ROBOT_KEY', url } } }, { ROBOT_KEY: KEY })[0] as WecomChannel
}

async function enqueue(db: Db, id: number, body: string, at: number) {
  await enqueueDelivery(db, {
    idempotency_key: `task:${id}:1:group`, channel: 'group', trigger: 'failed', task_id: null, user_id: 'alice',
    recipients: ['alice'], payload: JSON.stringify({ markdown: body }), next_attempt_at: new Date(at).toISOString(),
  })
}

const maxInAnyMinute = (times: number[]) => Math.max(0, ...times.map((at) => times.filter((x) => x >= at && x < at + 60_000).length))

t.test('markdown in the robot\'s format, cut to 4096 bytes on a character boundary', async (t) => {
  const md = wecomMarkdown('failed', [describe(fact(7), 'zh'), describe(fact(7), 'en')])
  t.match(md, /^### <font color="warning">任务失败<\/font>\n\[打开任务\]\(https:\/\/topup\.example\.org\/#\/tasks\/7\)\n> 任务: #7 /)
  t.match(md, /### <font color="warning">Task failed<\/font>/, 'both languages when recipients chose both')
  t.match(md, /> 步骤: check_quality/)
  const long = wecomMarkdown('failed', [describe(fact(8, '错'.repeat(5000)), 'zh')])
  t.ok(Buffer.byteLength(long) <= WECOM_MAX_BYTES, `${Buffer.byteLength(long)} bytes`)
  t.ok(Buffer.byteLength(long) > WECOM_MAX_BYTES - 4, 'filled to the limit')
  t.ok(long.endsWith('…'))
  t.notOk(long.includes('\uFFFD'), 'no character cut in half')
  t.equal(fitBytes('short', 10), 'short')
})

t.test('a burst waits behind 20 messages a minute and goes out packed; the limit holds across a restart', async (t) => {
  const { db } = freshDatabase(t)
  const hand = handClock(START)
  const stand = await robotStandIn(t, hand.now, { failNext: 0 })
  const channel = robot(stand.url)
  const options = { db, channels: [channel], clock: hand.clock, logger: silent, retrySeconds: 5, retryMaxSeconds: 60, maxAttempts: 5 }
  let dispatcher = new Dispatcher(options)
  await dispatcher.start()
  await dispatcher.settled()
  const bodies = new Map<number, string>()
  // 25 events one after the other, each seen by its own pass: 20 go at once, 5 wait
  for (let id = 1; id <= 25; id++) {
    const body = wecomMarkdown('failed', [describe(fact(id, `第 ${id} 个原因 ${'很长的说明'.repeat(40)}`), 'zh')])
    bodies.set(id, body)
    await enqueue(db, id, body, hand.now())
    dispatcher.wake()
    await dispatcher.settled()
  }
  t.equal(stand.messages.length, 20, 'twenty sent in the first minute')
  await dispatcher.stop()

  // a restart 10 s later still counts the 20 of this minute (from the outbox)
  await hand.advance(10_000, async () => {})
  dispatcher = new Dispatcher(options)
  t.teardown(() => dispatcher.stop())
  await dispatcher.start()
  await dispatcher.settled()
  for (let id = 26; id <= 40; id++) {
    const body = wecomMarkdown('failed', [describe(fact(id), 'zh')])
    bodies.set(id, body)
    await enqueue(db, id, body, hand.now())
  }
  dispatcher.wake()
  await dispatcher.settled()
  t.equal(stand.messages.length, 20, 'nothing more within the minute, restart or not')

  await hand.advance(60_000, () => dispatcher.settled())
  const later = stand.messages.slice(20)
  t.ok(later.length >= 1 && later.length < 20, `the 20 waiting went out in ${later.length} packed messages`)
  t.ok(later.every((m) => m.at >= START + 60_000), 'only once the first minute was over')
  t.ok(maxInAnyMinute(stand.messages.map((m) => m.at)) <= 20, 'never more than 20 in any minute')
  for (const m of stand.messages) {
    t.equal(m.key, KEY)
    t.equal(m.body.msgtype, 'markdown')
    t.ok(m.bytes <= WECOM_MAX_BYTES, `${m.bytes} bytes`)
  }
  const delivered = stand.messages.map((m) => m.body.markdown!.content!).join('\n\n')
  for (const [id, body] of bodies) t.ok(delivered.includes(body), `event ${id} delivered`)
  const rows = await db.selectFrom('notification_outbox').select(['status', 'attempts']).execute()
  t.ok(rows.every((r) => r.status === 'sent' && r.attempts === 1), 'every row sent, once')
})

t.test('a failed request is tried again after the backoff, and the error is kept without the key', async (t) => {
  const { db } = freshDatabase(t)
  const hand = handClock(START)
  const stand = await robotStandIn(t, hand.now, { failNext: 2 })
  const dispatcher = new Dispatcher({
    db, channels: [robot(stand.url)], clock: hand.clock, logger: silent, retrySeconds: 5, retryMaxSeconds: 60, maxAttempts: 5,
  })
  t.teardown(() => dispatcher.stop())
  await dispatcher.start()
  await enqueue(db, 1, wecomMarkdown('failed', [describe(fact(1), 'en')]), hand.now())
  dispatcher.wake()
  await dispatcher.settled()
  let row = await db.selectFrom('notification_outbox').selectAll().executeTakeFirstOrThrow()
  t.match(row, { status: 'pending', attempts: 1, last_error: 'HTTP 500', next_attempt_at: new Date(START + 5000).toISOString() })
  await hand.advance(4_999, () => dispatcher.settled())
  t.equal(stand.messages.length, 1, 'not before the delay')
  await hand.advance(1, () => dispatcher.settled())
  row = await db.selectFrom('notification_outbox').selectAll().executeTakeFirstOrThrow()
  t.match(row, { status: 'pending', attempts: 2, next_attempt_at: new Date(START + 5000 + 10_000).toISOString() }, 'the delay doubles')
  await hand.advance(10_000, () => dispatcher.settled())
  row = await db.selectFrom('notification_outbox').selectAll().executeTakeFirstOrThrow()
  t.match(row, { status: 'sent', attempts: 3, last_error: null })
  t.equal(stand.messages.length, 3)
  t.notOk(JSON.stringify(row).includes(KEY))
})

t.test('given up after the last attempt', async (t) => {
  const { db } = freshDatabase(t)
  const hand = handClock(START)
  const stand = await robotStandIn(t, hand.now, { failNext: 100 })
  const dispatcher = new Dispatcher({
    db, channels: [robot(stand.url)], clock: hand.clock, logger: silent, retrySeconds: 1, retryMaxSeconds: 2, maxAttempts: 3,
  })
  t.teardown(() => dispatcher.stop())
  await dispatcher.start()
  await enqueue(db, 1, 'x', hand.now())
  dispatcher.wake()
  await dispatcher.settled()
  await hand.advance(3_600_000, () => dispatcher.settled())
  t.equal(stand.messages.length, 3)
  t.match(await db.selectFrom('notification_outbox').selectAll().executeTakeFirstOrThrow(), { status: 'failed', attempts: 3 })
})

t.test('a robot\'s full minute holds only its own messages: a webhook goes out meanwhile', async (t) => {
  const { db } = freshDatabase(t)
  // the real time: the receiver checks the webhook-timestamp against its own clock
  const hand = handClock(Date.now())
  const stand = await robotStandIn(t, hand.now)
  const secret = webhookSecret()
  const receiver = await webhookReceiver(t, secret, () => 'up')
  const channels = parseChannels({ channels: {
    group: { type: 'wecom', key_env: 'ROBOT_KEY', url: stand.url, max_per_minute: 1 },
    hook: { type: 'webhook', url: receiver.url, secret_env: 'HOOK_SECRET' },
  } }, { ROBOT_KEY: KEY, HOOK_SECRET: secret })
  const dispatcher = new Dispatcher({ db, channels, clock: hand.clock, logger: silent, retrySeconds: 5, retryMaxSeconds: 60, maxAttempts: 5 })
  t.teardown(() => dispatcher.stop())
  await dispatcher.start()
  for (const id of [1, 2]) {
    await enqueue(db, id, `message ${id}`, hand.now())
    dispatcher.wake()
    await dispatcher.settled()
  }
  t.equal(stand.messages.length, 1, 'the robot\'s one message of the minute')
  await enqueueDelivery(db, {
    idempotency_key: 'task:3:1:hook', channel: 'hook', trigger: 'succeeded', task_id: null, user_id: 'alice', recipients: ['alice'],
    payload: JSON.stringify({ type: 'task.succeeded', timestamp: new Date(hand.now()).toISOString(), data: {} }),
    next_attempt_at: new Date(hand.now()).toISOString(),
  })
  dispatcher.wake()
  await dispatcher.settled()
  await eventually('the webhook', () => receiver.accepted().length === 1)
  t.same(receiver.accepted(), ['task:3:1:hook'])
  t.ok(receiver.received[0]!.verified)
  await hand.advance(60_000, () => dispatcher.settled())
  t.equal(stand.messages.length, 2, 'the held one once the minute is over')
  t.equal(stand.messages[1]!.body.markdown!.content, 'message 2')
})
