import t from 'tap'
import { sharedByFile } from '../helpers/app.js'
import { emitProgress, LiveClient, seedTask, startLiveServer, type LiveServer } from './ws-helpers.js'

const open = (server: LiveServer, user: string, role: 'user' | 'admin' = 'user') =>
  LiveClient.open(server.wsUrl, ['topup.v1', `bearer.${server.token(user, role)}`])

// One server for the file; each test uses tasks and clients of its own.
const shared = sharedByFile(t, () => startLiveServer(t))

t.test('"my tasks" carries status and progress changes of the tasks the caller may see', async (t) => {
  const server = shared()
  const { store } = server
  const aliceTask = await seedTask(server.db, 'alice')
  const bobTask = await seedTask(server.db, 'bob')
  const alice = await open(server, 'alice')
  const bob = await open(server, 'bob')
  const admin = await open(server, 'root', 'admin')
  t.teardown(async () => { await alice.close(); await bob.close(); await admin.close() })
  for (const client of [alice, bob, admin]) {
    client.send({ type: 'subscribe_tasks' })
    t.same(await client.next((m) => m.type === 'subscribed'), { type: 'subscribed', scope: 'tasks' })
  }

  // Bob's change is published before Alice's on the same bus, so once Alice has her own, Bob's was filtered.
  await emitProgress(store, bobTask, 'bob', 10)
  store.log({ taskId: aliceTask, level: 'info', message: 'a log line is not a task change' })
  await store.flush()
  await store.commit((trx, emit) => emit.event(aliceTask, {
    type: 'task.status', data: { status: 'queued', previous: 'pending', reason: null, user_id: 'alice' },
  }))

  await alice.next((m) => m.event?.task_id === aliceTask && m.event.type === 'task.status')
  t.same(alice.events().map((e) => [e.task_id, e.type]), [[aliceTask, 'task.status']], 'Alice sees only her task')
  await bob.next((m) => m.event?.task_id === bobTask)
  await admin.next((m) => m.event?.task_id === aliceTask)
  t.same(admin.events().map((e) => [e.task_id, e.type]), [[bobTask, 'task.progress'], [aliceTask, 'task.status']],
    'the admin sees every task, without log lines')

  // Bob's own view: once a later change of his arrives, Alice's earlier one must not have.
  await emitProgress(store, bobTask, 'bob', 20)
  await bob.next((m) => m.event?.task_id === bobTask && (m.event.data as { progress_percentage: number }).progress_percentage === 20)
  t.notOk(bob.events().some((e) => e.task_id === aliceTask), 'Bob never sees Alice\'s task')
})

t.test('a task subscription follows the same visibility rules as REST', async (t) => {
  const server = shared()
  const bobTask = await seedTask(server.db, 'bob')
  await emitProgress(server.store, bobTask, 'bob', 5)
  const alice = await open(server, 'alice')
  const admin = await open(server, 'root', 'admin')
  t.teardown(async () => { await alice.close(); await admin.close() })

  alice.send({ type: 'subscribe', task_id: bobTask, after_seq: 0 })
  t.match(await alice.next((m) => m.type === 'error'), { code: 'not_found', task_id: bobTask }, 'someone else\'s task is not found')
  admin.send({ type: 'subscribe', task_id: bobTask, after_seq: 0 })
  t.match(await admin.next((m) => m.type === 'event'), { event: { task_id: bobTask, seq: 1 } }, 'an admin may follow any task')
  alice.send({ type: 'unsubscribe_tasks' })
  t.same(await alice.next((m) => m.type === 'unsubscribed'), { type: 'unsubscribed', scope: 'tasks' })
})
