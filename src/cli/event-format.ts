import type { LogLevel, TaskEvent } from '../domain.js'
import { clockTime, type Colour, type Output } from './output.js'

export interface LogRecord {
  seq: number
  at: string
  level: LogLevel | string
  source: string | null
  message: string
}

const levelColour: Record<string, Colour> = { debug: 'gray', warning: 'yellow', error: 'red' }
const statusColour: Record<string, Colour> = { success: 'green', failed: 'red', cancelled: 'red', paused: 'yellow' }

/** `#seq HH:MM:SS.mmm KIND text`: one line per event, the same whether it came from the history or live. */
export function formatEvent(out: Output, event: TaskEvent): string {
  const line = (kind: string, text: string, colour?: Colour) => `${head(out, event.seq, event.at)} ${kind.padEnd(8)} ${colour ? out.paint(colour, text) : text}`
  switch (event.type) {
    case 'task.status': {
      const d = event.data
      return line('STATUS', `${d.previous ?? '-'} → ${d.status}${d.reason ? ` (${d.reason})` : ''}`, statusColour[d.status])
    }
    case 'task.progress': {
      const d = event.data
      return line('PROGRESS', `${Number(d.progress_percentage).toFixed(0)}%${d.current_step ? ` at ${d.current_step}` : ''}`)
    }
    case 'step.started': {
      const d = event.data
      return line('STEP', `${d.step_id} started (attempt ${d.attempt})`, 'cyan')
    }
    case 'step.finished': {
      const d = event.data
      return line('STEP', `${d.step_id} ${d.status}${d.error ? `: ${d.error}` : ''}`, d.status === 'success' ? 'green' : d.status === 'skipped' ? undefined : 'red')
    }
    case 'step.retry': {
      const d = event.data
      return line('RETRY', `${d.step_id} attempt ${d.attempt} in ${d.delay_seconds} s`, 'yellow')
    }
    case 'step.output': {
      const d = event.data
      return line('OUTPUT', `${d.step_id}.${d.name} = ${JSON.stringify(d.value)}`)
    }
    case 'job.state': {
      const d = event.data
      return line('JOB', `${d.job_id} ${d.previous ?? 'recorded'} → ${d.state}${d.exit_code !== null ? ` (exit ${d.exit_code})` : ''}`
        + `${d.reason ? `: ${d.reason}` : ''}`, d.state === 'failed' || d.state === 'lost' || d.state === 'held' ? 'yellow' : undefined)
    }
    case 'log': {
      const d = event.data
      return formatLog(out, { seq: event.seq, at: event.at, level: d.level, source: d.source, message: d.message })
    }
    default: {
      // an event type this command does not know yet (a newer server): shown as it came
      const other = event as { type: string; data: unknown }
      return line(other.type, JSON.stringify(other.data))
    }
  }
}

/** A log line as `topup follow` and `topup logs` show it; a multi-line message continues on indented lines. */
export function formatLog(out: Output, log: LogRecord): string {
  const text = `${log.source ? `[${log.source}] ` : ''}${log.message.replaceAll('\n', '\n        ')}`
  const colour = levelColour[log.level]
  return `${head(out, log.seq, log.at)} ${log.level.toUpperCase().padEnd(8)} ${colour ? out.paint(colour, text) : text}`
}

function head(out: Output, seq: number, at: string): string {
  return out.paint('gray', `#${String(seq).padStart(5)} ${clockTime(at)}`)
}
