import type { TaskEvent } from '../../domain.js'
import { frameOf, type Frame } from './send-memory.js'

// The bus hands every listener the same event object: its v1 frame is made once, however many send it.
const v1FrameOf = new WeakMap<TaskEvent, Frame>()

const q = JSON.stringify

/**
 * JSON.stringify(event), to the byte. A log line (most events by far) is written out by hand, in the order its
 * fields have wherever it is made (the event store, the history read), which takes a third less time.
 */
export function eventJson(event: TaskEvent): string {
  if (event.type !== 'log') return q(event)
  const { execution_id: execution, level, message, source } = event.data
  return `{"task_id":${event.task_id},"seq":${event.seq},"type":"log","at":${q(event.at)},"data":{"execution_id":${q(execution)},`
    + `"level":${q(level)},"message":${q(message)},"source":${q(source)}}}`
}

/** The topup.v1 frame of one event, `{"type":"event","event":…}`: the same bytes as JSON.stringify of the message. */
export function eventFrame(event: TaskEvent): Frame {
  let frame = v1FrameOf.get(event)
  if (frame === undefined) v1FrameOf.set(event, (frame = frameOf(`{"type":"event","event":${eventJson(event)}}`)))
  return frame
}

/**
 * The topup.v2 frames of one send round, `{"type":"events","events":[…]}`. The followers of a task get the same
 * run of its events in a round, so a run of consecutive seqs of one task is built once per round for all of them
 * (a task's seq names one event, whether it came from the bus or a replay); any other mix is built for its
 * connection alone.
 */
export class BatchFrames {
  private readonly round = new Map<string, Frame>()

  frame(events: readonly TaskEvent[]): Frame {
    const key = runKey(events)
    let frame = key === null ? undefined : this.round.get(key)
    if (frame === undefined) {
      frame = frameOf(`{"type":"events","events":[${events.map(eventJson).join(',')}]}`)
      if (key !== null) this.round.set(key, frame)
    }
    return frame
  }

  endRound(): void {
    this.round.clear()
  }
}

function runKey(events: readonly TaskEvent[]): string | null {
  const first = events[0]!
  for (let i = 1; i < events.length; i++) {
    const event = events[i]!
    if (event.task_id !== first.task_id || event.seq !== first.seq + i) return null
  }
  return `${first.task_id}:${first.seq}:${events.length}`
}
