import { useEffect, useRef, useState } from 'preact/hooks'

/**
 * One task's events through the live connection, from seq 0: log lines are kept (each once, in seq order, what
 * ever reconnects happen), and so are the status changes (`{at, status, reason}`, for the timeline's pauses);
 * every other event is handed to `onEvent`. Renders at most once per animation frame,
 * so a replay of thousands of lines costs a few renders.
 */
export function useTaskEvents(live, taskId, onEvent) {
  const state = useRef({ lastSeq: 0, lines: [], statuses: [] })
  const [version, setVersion] = useState(0)
  const handler = useRef(onEvent)
  handler.current = onEvent

  useEffect(() => {
    state.current = { lastSeq: 0, lines: [], statuses: [] }
    let frame = 0
    const stop = live.subscribeTask(taskId, () => state.current.lastSeq, (event) => {
      const current = state.current
      if (event.seq <= current.lastSeq) return
      current.lastSeq = event.seq
      if (event.type === 'log') current.lines.push({ seq: event.seq, at: event.at, ...event.data })
      else handler.current(event)
      if (event.type === 'task.status') current.statuses.push({ at: event.at, status: event.data.status, reason: event.data.reason })
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; setVersion((v) => v + 1) })
    })
    return () => { stop(); cancelAnimationFrame(frame) }
  }, [taskId])

  return { lines: state.current.lines, statuses: state.current.statuses, lastSeq: state.current.lastSeq, version }
}
