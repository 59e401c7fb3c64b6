import type { Transport } from '../remote/transport.js'
import { runFramed } from '../remote/framed-run.js'
import { Frame, FramingError } from '../remote/framing.js'
import { shellJoin } from '../shell-quote.js'
import { BatchError, type ControlAction } from './types.js'

/**
 * Runs one batch tool (its absolute path and arguments arrive as positional parameters) and frames what it
 * printed: one `E` value per stderr line, one `O` value per stdout line, then `X <exit code>`. The tool's own
 * output is thus told apart from the login shell's noise on either stream, and stderr is kept because some tools
 * report refusals only there (scancel exits 0 on "permission denied").
 */
const SCRIPT = `
tool_err=$(mktemp) || exit 1
tool_out=$("$@" 2>"$tool_err"); tool_code=$?
while IFS= read -r l || [ -n "$l" ]; do frame_put "E $l"; done < "$tool_err"
rm -f -- "$tool_err"
if [ -n "$tool_out" ]; then while IFS= read -r l; do frame_put "O $l"; done <<< "$tool_out"; fi
frame_put "X $tool_code"
`

/** A command ready to run: its frame (for reading the answer), the command line, and the ids it is about. */
export interface BatchCommand {
  frame: Frame
  command: string
  ids: string[]
  /** For a cancel, hold or release: which one. */
  action?: ControlAction
}

export interface ToolOutput {
  stdout: string[]
  stderr: string[]
  exitCode: number
}

export function toolCommand(what: string, tool: string, args: readonly string[], ids: readonly string[],
  action?: ControlAction): BatchCommand {
  const frame = new Frame(what)
  const command = `set -- ${shellJoin([tool, ...args])}\n${frame.wrap(SCRIPT)}`
  return action ? { frame, command, ids: [...ids], action } : { frame, command, ids: [...ids] }
}

/** The action of a control command; a query command given to a control parser is a programming error. */
export function actionOf(command: BatchCommand): ControlAction {
  if (!command.action) throw new Error(`${command.frame.what} is no cancel, hold or release`)
  return command.action
}

/** The tool's output from the frame's values; a value that is none of ours is a FramingError. */
export function toolOutput(frame: Frame, values: readonly string[]): ToolOutput {
  const output: ToolOutput = { stdout: [], stderr: [], exitCode: -1 }
  let exited = false
  for (const value of values) {
    const m = /^([OEX]) ?(.*)$/s.exec(value)
    if (!m || exited) throw new FramingError(`${frame.what}: ${JSON.stringify(value)} is no tool output line`)
    const text = m[2]!.replace(/\r$/, '')
    if (m[1] === 'O') output.stdout.push(text)
    else if (m[1] === 'E') output.stderr.push(text)
    else if (/^\d+$/.test(text)) {
      output.exitCode = Number(text)
      exited = true
    } else throw new FramingError(`${frame.what}: exit code ${JSON.stringify(text)}`)
  }
  if (!exited) throw new FramingError(`${frame.what}: its framed answer holds no exit code`)
  return output
}

/** Runs a built command on a host and returns the tool's output; lines outside the frame go to `onNoise`. */
export async function runBatchCommand(transport: Transport, command: BatchCommand, signal: AbortSignal,
  onNoise?: (stream: 'stdout' | 'stderr', line: string) => void): Promise<ToolOutput> {
  const { result, values } = await runFramed(transport, command.frame, command.command, signal, onNoise)
  if (result.exitCode !== 0) {
    throw new BatchError(`${command.frame.what} on ${transport.host} exited with ${result.exitCode ?? result.signal}`)
  }
  return toolOutput(command.frame, values())
}

/** "exit 2: <the last stderr line, else stdout line>", for a message naming why a tool failed. */
export function failureOf(output: ToolOutput): string {
  const lastOf = (lines: string[]) => lines.filter((l) => l.trim() !== '').at(-1)
  const last = lastOf(output.stderr) ?? lastOf(output.stdout)
  return `exit ${output.exitCode}${last ? `: ${last.trim()}` : ''}`
}
