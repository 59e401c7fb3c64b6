/** The days calendar in numbers: a day's state, and the months a round's days fall in. */

export const dayStates = ['nodata', 'waiting', 'running', 'review', 'done', 'failed']
const inProgress = ['pending', 'queued', 'running', 'pausing', 'cancelling']

/**
 * What a day with raw data is waiting for: its latest task decides (a pause of any kind waits for a person; a
 * cancelled run, like a failed one, did not finish); without a task, the site's own folder says whether it was
 * processed (outside the service, or before it).
 */
export function stateOf(day) {
  const { task } = day
  if (task) {
    if (task.review_pending || task.status === 'paused') return 'review'
    if (inProgress.includes(task.status)) return 'running'
    if (task.status === 'success') return 'done'
    if (task.status === 'failed' || task.status === 'cancelled') return 'failed'
  }
  return day.processed ? 'done' : 'waiting'
}

/** YYMMDD → { year, month (1–12), date }; the 20xx century, as the site's folders are named. */
export const partsOf = (day) => ({ year: 2000 + Number(day.slice(0, 2)), month: Number(day.slice(2, 4)), date: Number(day.slice(4, 6)) })
const dayOf = (year, month, date) => `${String(year % 100).padStart(2, '0')}${String(month).padStart(2, '0')}${String(date).padStart(2, '0')}`

/**
 * Every month from the round's first day to its last, each as weeks of seven cells (Monday first; null outside
 * the month), a cell `{ day, date, entry }` with the API's entry for that day or null (no raw data).
 */
export function monthsOf(days) {
  if (days.length === 0) return []
  const byDay = new Map(days.map((entry) => [entry.day, entry]))
  const first = partsOf(days[0].day)
  const last = partsOf(days.at(-1).day)
  const months = []
  for (let year = first.year, month = first.month; year < last.year || (year === last.year && month <= last.month);) {
    const length = new Date(Date.UTC(year, month, 0)).getUTCDate()
    const lead = (new Date(Date.UTC(year, month - 1, 1)).getUTCDay() + 6) % 7
    const cells = Array.from({ length: lead }, () => null)
    for (let date = 1; date <= length; date++) {
      const day = dayOf(year, month, date)
      cells.push({ day, date, entry: byDay.get(day) ?? null })
    }
    while (cells.length % 7 !== 0) cells.push(null)
    const weeks = []
    for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7))
    months.push({ year, month, weeks })
    month++
    if (month === 13) { month = 1; year++ }
  }
  return months
}
