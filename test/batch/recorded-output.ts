import type { BatchCommand, ToolOutput } from '../../src/batch/tool-output.js'
import { toolOutput } from '../../src/batch/tool-output.js'

/**
 * Login noise as IHEP's hosts print it, plus lines that look like the answers themselves: framed values must
 * never be confused with them.
 */
export const noise = [
  'Welcome to beslogin.ihep.ac.cn',
  '1 job(s) submitted to cluster 999.',
  '999.0 - 999.3',
  '999 0 2 undefined',
  '60726917.0      leizh           01/13 20:24     0+02:04:08      H  0   732.0 xboss /x',
  '999|FAILED|1:0',
  '999',
]

/**
 * What the tool printed, as the service reads it back from a login host: noise before the frame, between its
 * lines and after it, then the frame's values parsed into a ToolOutput.
 */
export function recorded(command: BatchCommand, out: { stdout?: string[]; stderr?: string[]; exitCode?: number }): ToolOutput {
  const { tag } = command.frame
  const values = [...(out.stderr ?? []).map((l) => `E ${l}`), ...(out.stdout ?? []).map((l) => `O ${l}`),
    `X ${out.exitCode ?? 0}`]
  const lines = [...noise, `${tag} BEGIN`]
  values.forEach((value, i) => lines.push(`${tag} V ${value}`, noise[i % noise.length]!))
  lines.push(`${tag} END ${values.length}`, ...noise)
  return toolOutput(command.frame, command.frame.valuesIn(lines.join('\n')))
}
