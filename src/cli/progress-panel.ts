import type { TaskEvent } from '../domain.js'
import type { TaskDetail } from './api-types.js'
import { statusWord, type Translate } from './messages.js'
import { displayWidth, pad, truncate, type Colour, type Output } from './output.js'

interface StepRow {
  id: string
  name: string
  status: string
  attempt: number
  /** job id → state, from the job.state events of this step */
  jobs: Map<string, string>
}

const BAR = 20
const marks: Record<string, [string, Colour]> = {
  pending: ['·', 'gray'], running: ['▶', 'cyan'], retry: ['↻', 'yellow'], success: ['✓', 'green'], skipped: ['-', 'gray'],
  failed: ['✗', 'red'], timeout: ['✗', 'red'], cancelled: ['✗', 'red'], interrupted: ['!', 'yellow'],
}

/** The task as its events tell it: one row per step (status, attempt, its cluster jobs) and the overall figures. */
export class TaskProgress {
  readonly steps: StepRow[]
  status: string
  percent: number

  constructor(readonly task: TaskDetail) {
    this.steps = [...task.steps].sort((a, b) => a.order - b.order).map((s) => ({
      id: s.step_id, name: s.display_name, status: s.status, attempt: s.attempts, jobs: new Map(),
    }))
    this.status = task.status
    this.percent = task.progress_percentage
  }

  apply(event: TaskEvent): void {
    const step = (id: string) => this.steps.find((s) => s.id === id)
    switch (event.type) {
      case 'task.status': this.status = event.data.status; break
      case 'task.progress': this.percent = event.data.progress_percentage; break
      case 'step.started': this.update(step(event.data.step_id), { status: 'running', attempt: event.data.attempt }); break
      case 'step.finished': this.update(step(event.data.step_id), { status: event.data.status }); break
      case 'step.retry': this.update(step(event.data.step_id), { status: 'retry' }); break
      case 'job.state': step(event.data.step_id)?.jobs.set(event.data.job_id, event.data.state); break
      default: break
    }
  }

  private update(row: StepRow | undefined, change: Partial<StepRow>): void {
    if (row) Object.assign(row, change)
  }

  /** The panel's lines, each at most `width` columns, at most `height` lines (a window around the current step). */
  lines(out: Output, t: Translate, width: number, height: number): string[] {
    const nameWidth = Math.min(40, Math.max(...this.steps.map((s) => displayWidth(s.name)), 4))
    const room = Math.max(3, height - 1)
    let first = 0
    let last = this.steps.length
    if (this.steps.length > room) {
      const size = room - 2
      const current = Math.max(0, this.steps.findIndex((s) => s.status !== 'success' && s.status !== 'skipped'))
      first = Math.min(Math.max(0, current - Math.floor(size / 3)), this.steps.length - size)
      last = first + size
    }
    const rows = this.steps.slice(first, last).map((s) => this.stepLine(out, t, s, nameWidth, width))
    if (first > 0) rows.unshift(out.paint('gray', t('follow.earlier', { n: first })))
    if (last < this.steps.length) rows.push(out.paint('gray', t('follow.later', { n: this.steps.length - last })))
    const head = t('follow.panelTask', { id: this.task.id, status: statusWord(t, this.status), percent: this.percent.toFixed(0) })
    return [...rows, out.paint('bold', truncate(`${head} ${bar(this.percent / 100)}`, width))]
  }

  private stepLine(out: Output, t: Translate, step: StepRow, nameWidth: number, width: number): string {
    const [mark, colour] = marks[step.status] ?? ['?', 'gray']
    const jobs = [...step.jobs.values()]
    const completed = jobs.filter((state) => state === 'completed').length
    const done = step.status === 'success' || step.status === 'skipped'
    const fraction = done ? 1 : jobs.length > 0 ? completed / jobs.length : 0
    const detail = [
      jobs.length > 0 ? t('follow.jobs', { done: completed, total: jobs.length }) : '',
      step.attempt > 1 ? t('follow.attempt', { n: step.attempt }) : '',
      step.status === 'pending' || done ? '' : statusWord(t, step.status),
    ].filter(Boolean).join(', ')
    // cut before painting: the width of the visible text is what must fit on one terminal line
    const text = truncate(`${mark} ${pad(truncate(step.name, nameWidth), nameWidth)} ${bar(fraction)} ${detail}`.trimEnd(), width)
    return out.paint(colour, text)
  }
}

function bar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR)
  return '█'.repeat(filled) + '░'.repeat(BAR - filled)
}

/**
 * The panel kept at the bottom of the terminal while event lines scroll above it: before a line is written the
 * panel is erased (cursor up its height, erase below), and it is drawn again at most every 50 ms, so replaying a
 * long history does not redraw it per event.
 */
export class LivePanel {
  private shown = 0
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly out: Output, private readonly progress: TaskProgress) {}

  /** The event changes the panel; its line (null: not shown) scrolls above it. */
  event(event: TaskEvent, line: string | null): void {
    this.progress.apply(event)
    if (line !== null) {
      this.erase()
      this.out.line(line)
    }
    this.timer ??= setTimeout(() => { this.timer = null; this.draw() }, 50)
  }

  /** A remark on stderr (the same terminal): the panel moves below it. */
  note(text: string): void {
    this.erase()
    this.out.note(text)
    this.draw()
  }

  /** The last state stays on screen. */
  finish(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.draw()
  }

  private erase(): void {
    if (this.shown > 0) this.out.stdout.write(`\x1b[${this.shown}F\x1b[J`)
    this.shown = 0
  }

  private draw(): void {
    this.erase()
    const lines = this.progress.lines(this.out, this.out.t, this.out.columns - 1, this.out.rows - 4)
    this.out.stdout.write(`${lines.join('\n')}\n`)
    this.shown = lines.length
  }
}
