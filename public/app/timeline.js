/**
 * The step timeline's picture in numbers: one lane per step that has attempts, one bar per attempt from its
 * start to its end (a running one to now), the task's pauses as bands (a review pause apart from others), and
 * the span of time they all lie in. Times are milliseconds since the epoch.
 */
const ms = (iso) => (iso ? new Date(iso).getTime() : null)
const REVIEW = /^waiting for review/

/** Each pause of the task: from its `paused` to the next change of status (or now, while it lasts). */
export function pausesOf(statuses, now) {
  const pauses = []
  statuses.forEach((change, i) => {
    if (change.status !== 'paused') return
    const next = statuses.slice(i + 1).find((later) => later.status !== 'paused')
    pauses.push({ from: ms(change.at), to: next ? ms(next.at) : now, review: REVIEW.test(change.reason ?? ''), reason: change.reason ?? '' })
  })
  return pauses
}

export function timelineOf(executions, statuses, now) {
  const lanes = []
  const byStep = new Map()
  for (const execution of [...executions].sort((a, b) => a.step_order - b.step_order || a.attempt - b.attempt)) {
    const from = ms(execution.start_time) ?? ms(execution.end_time)
    if (from === null) continue
    let lane = byStep.get(execution.step_name)
    if (!lane) {
      lane = { step: execution.step_name, name: execution.step_display_name, bars: [] }
      byStep.set(execution.step_name, lane)
      lanes.push(lane)
    }
    const running = execution.status === 'running'
    lane.bars.push({ execution, from, to: running ? now : ms(execution.end_time) ?? from, running })
  }
  const pauses = pausesOf(statuses, now)
  const times = [...lanes.flatMap((lane) => lane.bars.flatMap((bar) => [bar.from, bar.to])), ...pauses.flatMap((p) => [p.from, p.to])]
  const start = times.length ? Math.min(...times) : now
  const end = Math.max(start + 1000, ...times)
  return { lanes, pauses, start, end }
}

const STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]

/** Round times between start and end for the axis, about `count` of them. */
export function ticksOf(start, end, count) {
  const spanS = (end - start) / 1000
  const step = (STEPS_S.find((s) => spanS / s <= count) ?? STEPS_S.at(-1)) * 1000
  const ticks = []
  for (let at = Math.ceil(start / step) * step; at <= end; at += step) ticks.push(at)
  return ticks
}
