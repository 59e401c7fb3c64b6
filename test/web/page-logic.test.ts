import t from 'tap'

// The page's plain modules (no DOM): loaded by path, as the catalogues are.
interface Cell { day: string; date: number; entry: unknown }
const days = await import('../../public/app/days.js' as string) as {
  monthsOf(days: { day: string }[]): { year: number; month: number; weeks: (Cell | null)[][] }[]
  stateOf(day: { processed: boolean | null; task: null | { status: string; review_pending: boolean } }): string
}
const timeline = await import('../../public/app/timeline.js' as string) as {
  pausesOf(statuses: { at: string; status: string; reason: string | null }[], now: number): { from: number; to: number; review: boolean }[]
  timelineOf(executions: object[], statuses: object[], now: number): { lanes: { step: string; bars: { from: number; to: number; running: boolean }[] }[]; start: number; end: number }
}
interface Row { heading?: true; text: string; part: number; line: { seq: number }; section: { count: number } | null }
const rows = await import('../../public/app/log/rows.js' as string) as {
  LogRows: new () => { update(lines: object[], minLevel: string, folded: Set<number>): Row[] }
  findMatches(rows: Row[], query: string): number[]
}
const ansi = await import('../../public/app/log/ansi.js' as string) as {
  colouredRows(line: { message: string }): { text: string; style: string }[][]
  plainText(text: string): string
}

t.test('months of a round: Monday first, whole months, the days without data as cells without an entry', async (t) => {
  const months = days.monthsOf([{ day: '240228' }, { day: '240301' }])
  t.same(months.map((m) => [m.year, m.month]), [[2024, 2], [2024, 3]])
  const february = months[0]!.weeks.flat()
  t.equal(february.filter(Boolean).length, 29, 'a leap year')
  t.equal(february.findIndex((cell) => cell?.date === 1), 3, '1 February 2024 was a Thursday')
  t.ok(months.every((m) => m.weeks.every((week) => week.length === 7)))
  t.same(february.filter((cell) => cell?.entry).map((cell) => cell!.day), ['240228'])
  t.same(days.monthsOf([{ day: '251231' }, { day: '260101' }]).map((m) => `${m.year}-${m.month}`), ['2025-12', '2026-1'], 'over a new year')
})

t.test('a day\'s state: its latest task decides, else the site\'s folder', async (t) => {
  const task = (status: string, review = false) => ({ processed: true, task: { status, review_pending: review } })
  t.equal(days.stateOf({ processed: false, task: null }), 'waiting')
  t.equal(days.stateOf({ processed: true, task: null }), 'done')
  t.equal(days.stateOf({ processed: null, task: null }), 'waiting')
  t.equal(days.stateOf(task('paused', true)), 'review')
  t.equal(days.stateOf(task('paused')), 'review', 'any pause waits for a person')
  for (const status of ['pending', 'queued', 'running', 'pausing', 'cancelling']) t.equal(days.stateOf(task(status)), 'running', status)
  t.equal(days.stateOf(task('success')), 'done')
  t.equal(days.stateOf(task('failed')), 'failed')
  t.equal(days.stateOf(task('cancelled')), 'failed')
})

t.test('the timeline: attempts on their step\'s lane, the running one to now, pauses until the next status', async (t) => {
  const at = (s: number) => new Date(Date.UTC(2025, 5, 24, 8, 0, s)).toISOString()
  const now = Date.parse(at(100))
  const exec = (step: string, order: number, attempt: number, status: string, from: number, to: number | null) => ({
    step_name: step, step_display_name: step, step_order: order, attempt, status, start_time: at(from), end_time: to === null ? null : at(to),
  })
  const picture = timeline.timelineOf([exec('b', 2, 2, 'running', 60, null), exec('a', 1, 1, 'success', 0, 10), exec('b', 2, 1, 'failed', 40, 50)],
    [{ at: at(10), status: 'paused', reason: 'waiting for review: plots' }, { at: at(30), status: 'queued', reason: null }], now)
  t.same(picture.lanes.map((lane) => [lane.step, lane.bars.length]), [['a', 1], ['b', 2]])
  t.match(picture.lanes[1]!.bars[1], { from: Date.parse(at(60)), to: now, running: true })
  t.same([picture.start, picture.end], [Date.parse(at(0)), now])
  t.same(timeline.pausesOf([{ at: at(10), status: 'paused', reason: 'waiting for review: plots' }, { at: at(30), status: 'queued', reason: null },
    { at: at(70), status: 'paused', reason: 'paused by alice' }], now),
  [{ from: Date.parse(at(10)), to: Date.parse(at(30)), review: true, reason: 'waiting for review: plots' },
    { from: Date.parse(at(70)), to: now, review: false, reason: 'paused by alice' }])
})

t.test('log rows: built as lines arrive, the same as built at once; a heading per attempt; folds and levels', async (t) => {
  const lines = Array.from({ length: 50 }, (_, i) => ({
    seq: i + 1, at: '', level: i % 5 === 0 ? 'warning' : 'info', execution_id: i < 20 ? 1 : i < 40 ? 2 : null,
    message: i === 3 ? 'two\nrows' : `line ${i + 1}`,
  }))
  const live = new rows.LogRows()
  for (let n = 0; n <= lines.length; n += 7) live.update(lines.slice(0, n), 'debug', new Set())
  const grown = live.update(lines, 'debug', new Set()).map((r) => (r.heading ? 'heading' : `${r.line.seq}.${r.part}`))
  const once = new rows.LogRows().update(lines, 'debug', new Set()).map((r) => (r.heading ? 'heading' : `${r.line.seq}.${r.part}`))
  t.same(grown, once)
  t.equal(once.filter((r) => r === 'heading').length, 2)
  t.equal(once.length, 2 + 50 + 1, 'two headings, a row per line and one more for the two-row message')
  const folded = new rows.LogRows().update(lines, 'debug', new Set([1]))
  t.equal(folded.length, once.length - 21, 'attempt 1 folded to its heading')
  t.equal(folded[0]!.section!.count, 20)
  const warnings = new rows.LogRows().update(lines, 'warning', new Set())
  t.equal(warnings.filter((r) => !r.heading).length, 10)
  t.same(rows.findMatches(new rows.LogRows().update(lines, 'debug', new Set()), 'LINE 1').length, 11, 'any case: line 1, 10–19')
})

t.test('ANSI colours: pieces per row, a colour going on over a line break; the plain text without codes', async (t) => {
  const [first, second] = ansi.colouredRows({ message: 'a \x1b[31mred\nstill red\x1b[0m plain' })
  t.same(first, [{ text: 'a ', style: '' }, { text: 'red', style: 'color: rgb(187, 0, 0)' }])
  t.same(second, [{ text: 'still red', style: 'color: rgb(187, 0, 0)' }, { text: ' plain', style: '' }])
  t.equal(ansi.plainText('\x1b[1;32mok\x1b[0m \x1b]0;title\x07done'), 'ok done')
  t.same(ansi.colouredRows({ message: '<b>not html</b>' }), [[{ text: '<b>not html</b>', style: '' }]])
})
