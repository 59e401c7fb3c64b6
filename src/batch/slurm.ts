import { checkTools, type BatchAdapter, type BatchTools } from './adapter.js'
import { checkIds, defaultLimit, splitIds } from './job-ids.js'
import { slurmAccountingStatus, slurmActiveStatus } from './slurm-states.js'
import { actionOf, failureOf, toolCommand, type BatchCommand, type ToolOutput } from './tool-output.js'
import { BatchError, type ControlResult, type JobStatus } from './types.js'

/** A job id, or an array job's task (`123_4`). */
export const slurmIdPattern = /^[0-9]{1,12}(_[0-9]{1,9})?$/

/** `sbatch --parsable` prints `123` or `123;cluster`. */
export function parseSbatch(lines: readonly string[]): string[] {
  return lines.flatMap((line) => {
    const m = /^\s*(\d+)(?:;\S+)?\s*$/.exec(line)
    return m ? [m[1]!] : []
  })
}

/** squeue exits 1 with this when it does not know an id: for a poll, that id is not in the queue. */
const unknownIds = /Invalid job id specified/

/** The `|`-separated rows about the command's ids, each checked to have `fields` fields. */
function rowsOf(command: BatchCommand, output: ToolOutput, fields: number): string[][] {
  const wanted = new Set(command.ids)
  return output.stdout.filter((line) => line.trim() !== '').map((line) => {
    const row = line.trim().split('|')
    if (row.length !== fields) {
      throw new BatchError(`${command.frame.what}: ${JSON.stringify(line)} is no row of ${fields} fields`)
    }
    return row
  }).filter((row) => wanted.has(row[0]!))
}

/** `squeue -h -r -o '%i|%T|%r' -j 1,2` → `1|PENDING|JobHeldUser`. */
function parseSqueue(command: BatchCommand, output: ToolOutput): Map<string, JobStatus> {
  if (output.exitCode !== 0 && !output.stderr.some((l) => unknownIds.test(l))) {
    throw new BatchError(`${command.frame.what} failed (${failureOf(output)})`)
  }
  const found = new Map<string, JobStatus>()
  for (const [id, state, reason] of rowsOf(command, output, 3)) {
    const status = slurmActiveStatus(state!, reason === '' || reason === 'None' ? null : reason!)
    if (status) found.set(id!, status)
  }
  return found
}

/** `sacct -n -P -X -o JobID,State,ExitCode -j 1,2` → `1|COMPLETED|0:0`; a requeued job's last line counts. */
function parseSacct(command: BatchCommand, output: ToolOutput): Map<string, JobStatus> {
  if (output.exitCode !== 0) throw new BatchError(`${command.frame.what} failed (${failureOf(output)})`)
  return new Map(rowsOf(command, output, 3).map(([id, state, exitCode]) => [id!, slurmAccountingStatus(state!, exitCode!)]))
}

const scontrolSummary = /^slurm_suspend error: /

/**
 * scancel and scontrol print nothing when they succeed and may exit 0 when they refuse ("Access/permission
 * denied" on stderr). An id named on an output line was refused with that line; any other complaint (a
 * non-zero exit, an error line naming no id) refuses every id not named, since which ones it concerns is unknown.
 * Once some ids are named, scontrol's exit 1 and its closing `slurm_suspend error: <some error>` (for hold and
 * release alike) only sum those lines up: `scontrol hold 1,2` of a finished 1 and a pending 2 holds 2.
 */
function parseSlurmControl(command: BatchCommand, output: ToolOutput): ControlResult {
  const lines = [...output.stderr, ...output.stdout].map((l) => l.trim()).filter((l) => l !== '')
  const mentions = (line: string, id: string) => new RegExp(`(^|[^0-9_])${id}($|[^0-9_])`).test(line)
  const namesSome = lines.some((l) => command.ids.some((id) => mentions(l, id)))
  const general = lines.find((l) => !command.ids.some((id) => mentions(l, id)) && !(namesSome && scontrolSummary.test(l)))
  const failedAll = (output.exitCode !== 0 && !namesSome) || general !== undefined
  const result: ControlResult = { accepted: [], refused: [] }
  for (const id of command.ids) {
    const named = lines.find((l) => mentions(l, id))
    if (named) result.refused.push({ id, reason: named })
    else if (failedAll) result.refused.push({ id, reason: general ?? failureOf(output) })
    else result.accepted.push(id)
  }
  return result
}

/**
 * Slurm: `squeue -h -r -o '%i|%T|%r' -j <ids,>`, `sacct -n -P -X -o JobID,State,ExitCode -j <ids,>`, `scancel
 * <ids>`, `scontrol hold|release <ids,>`. A held job is PENDING with reason JobHeldUser or JobHeldAdmin.
 */
export function slurmAdapter(tools: BatchTools): BatchAdapter {
  checkTools(tools)
  const check = (ids: readonly string[]) => checkIds('slurm', slurmIdPattern, ids)
  const listed = (what: string, tool: string, args: string[]) => (ids: readonly string[], limit = defaultLimit) =>
    splitIds(check(ids), limit, ',').map((group) => toolCommand(`${what} of ${group.length} jobs`, tool,
      [...args, group.join(',')], group))
  return {
    system: 'slurm',
    checkIds: check,
    parseSubmission: parseSbatch,
    queueCommands: listed('squeue', tools.queue, ['-h', '-r', '-o', '%i|%T|%r', '-j']),
    parseQueue: parseSqueue,
    historyCommands: listed('sacct', tools.history, ['-n', '-P', '-X', '-o', 'JobID,State,ExitCode', '-j']),
    parseHistory: parseSacct,
    controlCommands: (action, ids, limit = defaultLimit) => {
      if (action === 'cancel') {
        return splitIds(check(ids), limit).map((group) => toolCommand(`cancel of ${group.length} jobs`, tools.cancel,
          group, group, action))
      }
      return splitIds(check(ids), limit, ',').map((group) => toolCommand(`${action} of ${group.length} jobs`,
        tools[action], [action, group.join(',')], group, action))
    },
    parseControl: (command, output) => {
      actionOf(command)
      return parseSlurmControl(command, output)
    },
  }
}
