import type { Frame } from './framing.js'
import type { RunResult, Transport } from './transport.js'

/** What a framed command left: how it ended, and its frame's values (`values()` throws FramingError when incomplete). */
export interface FramedRun {
  result: RunResult
  values(): string[]
}

/**
 * Runs a command whose answer is framed (framing.ts): its stdout lines feed the frame's reader as they arrive;
 * every other line — stdout outside the frame (login noise), stderr — goes to `onOther`. The caller judges the
 * exit code: some answers are read even from a command that failed.
 */
export async function runFramed(transport: Transport, frame: Frame, command: string, signal: AbortSignal,
  onOther?: (stream: 'stdout' | 'stderr', line: string) => void): Promise<FramedRun> {
  const reader = frame.reader()
  const result = await transport.run({
    command, signal,
    onLine: (stream, line) => {
      if (stream === 'stdout' ? !reader.take(line) : true) onOther?.(stream, line)
    },
  })
  return { result, values: () => reader.values() }
}
