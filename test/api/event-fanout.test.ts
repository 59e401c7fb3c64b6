import t from 'tap'
import type { TaskEvent } from '../../src/domain.js'
import { EventFanout } from '../../src/api/live/event-fanout.js'
import { EventBus } from '../../src/engine/bus.js'

/** The WebSocket side's one bus subscription: events to the listeners of their task, and which tasks are followed. */

t.test('the source is told a task is followed from its first listener to the end of its last', async (t) => {
  const bus = new EventBus()
  const followed: string[] = []
  const fanout = new EventFanout({
    subscribe: (listener) => bus.subscribe(listener),
    follow: (taskId) => { followed.push(`+${taskId}`); return () => followed.push(`-${taskId}`) },
  }, (error) => { throw error })
  const got: Record<string, number[]> = { a: [], b: [], c: [] }
  const stopA = fanout.onTask(1, (e) => got.a!.push(e.seq))
  const stopB = fanout.onTask(1, (e) => got.b!.push(e.seq))
  fanout.onTask(2, (e) => got.c!.push(e.seq))
  t.same(followed, ['+1', '+2'], 'once per task')
  const event = (task_id: number, seq: number) => ({ task_id, seq, type: 'log', at: '', data: { message: 'x' } }) as unknown as TaskEvent
  bus.publish(event(1, 1))
  bus.publish(event(2, 1))
  stopA()
  t.same(followed, ['+1', '+2'], 'still followed by the other listener')
  bus.publish(event(1, 2))
  stopB()
  t.same(followed, ['+1', '+2', '-1'], 'unfollowed with the last listener')
  t.same(got, { a: [1], b: [1, 2], c: [1] }, 'each listener got its task\'s events while it listened')
  fanout.close()
  t.same(followed, ['+1', '+2', '-1', '-2'], 'closing unfollows what is left')
})
