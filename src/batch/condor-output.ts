import { actionOf, failureOf, type BatchCommand, type ToolOutput } from './tool-output.js'
import { BatchError, exitedStatus, jobStatus, type ControlAction, type ControlResult, type JobStatus } from './types.js'

/**
 * What HTCondor prints, shared by the htcondor and hepjob adapters: IHEP's hep_sub and boss.condor print
 * condor_submit's lines, hep_rm prints condor_rm's, and the history of both is condor_history.
 */
export const condorIdPattern = /^[0-9]{1,12}\.[0-9]{1,9}$/

/**
 * `N job(s) submitted to cluster C.` means procs C.0 … C.(N-1); `condor_submit -terse` prints `C.P - C.Q`.
 * Every other line is not a submission.
 */
export function parseCondorSubmission(lines: readonly string[]): string[] {
  const ids: string[] = []
  for (const line of lines) {
    const plain = /^\s*(\d+) job\(s\) submitted to cluster (\d+)\.?\s*$/.exec(line)
    if (plain) for (let proc = 0; proc < Number(plain[1]); proc++) ids.push(`${plain[2]}.${proc}`)
    const terse = /^\s*(\d+)\.(\d+) - (\d+)\.(\d+)\s*$/.exec(line)
    if (terse && terse[1] === terse[3]) {
      for (let proc = Number(terse[2]); proc <= Number(terse[4]); proc++) ids.push(`${terse[1]}.${proc}`)
    }
  }
  return ids
}

/**
 * HTCondor's JobStatus: 1 Idle, 2 Running, 3 Removing, 4 Completed, 5 Held, 6 Transferring output, 7 Suspended.
 * Completed is null here: its end is condorExitStatus's to read.
 */
export function condorQueueStatus(code: string, holdReason: string | null): JobStatus | null {
  switch (code) {
    case '1': return jobStatus('queued')
    case '2': case '6': return jobStatus('running')
    case '3': return jobStatus('removed')
    case '4': return null
    case '5': return jobStatus('held', { reason: holdReason })
    case '7': return jobStatus('suspended')
    default: throw new BatchError(`JobStatus ${JSON.stringify(code)} is no HTCondor job status`)
  }
}

/** `-af` prints `undefined` for an attribute a job does not have. */
const defined = (value: string | undefined) => (value === undefined || value === 'undefined' ? null : value)
const integer = (value: string | undefined) => {
  const v = defined(value)
  if (v !== null && !/^-?\d+$/.test(v)) throw new BatchError(`${JSON.stringify(v)} is no integer`)
  return v === null ? null : Number(v)
}

/** A completed job's end from its ExitCode and ExitSignal attributes (one of them is `undefined`). */
export function condorExitStatus(exitCode: string | undefined, exitSignal: string | undefined): JobStatus {
  return exitedStatus(integer(exitCode), integer(exitSignal))
}

export const historyAttributes = ['ClusterId', 'ProcId', 'JobStatus', 'ExitCode', 'ExitSignal']

/** `condor_history <ids> -af ClusterId ProcId JobStatus ExitCode ExitSignal` → `123 0 4 0 undefined`. */
export function parseCondorHistory(command: BatchCommand, output: ToolOutput): Map<string, JobStatus> {
  if (output.exitCode !== 0) throw new BatchError(`${command.frame.what} failed (${failureOf(output)})`)
  const wanted = new Set(command.ids)
  const found = new Map<string, JobStatus>()
  for (const line of output.stdout) {
    if (line.trim() === '') continue
    const [cluster, proc, status, exitCode, exitSignal] = line.trim().split(/\s+/)
    const id = `${cluster}.${proc}`
    if (!condorIdPattern.test(id) || status === undefined) {
      throw new BatchError(`${command.frame.what}: ${JSON.stringify(line)} is no history line`)
    }
    // the newest record comes first
    if (!wanted.has(id) || found.has(id)) continue
    const state = status === '4' ? condorExitStatus(exitCode, exitSignal) : condorQueueStatus(status, null)
    if (state) found.set(id, state)
  }
  return found
}

const confirmations: Record<ControlAction, RegExp> = {
  cancel: /^Job (\S+) (?:removed|marked for removal)\.?$/,
  hold: /^Job (\S+) held\.?$/,
  release: /^Job (\S+) released\.?$/,
}

/**
 * condor_rm / condor_hold / condor_release (and hep_rm) confirm each job on a line of its own (`Job 132.0
 * removed.`); an id without that line was refused, with the line that names it (`Job 132.0 not found`) or the
 * tool's last complaint as the reason.
 */
export function parseCondorControl(command: BatchCommand, output: ToolOutput): ControlResult {
  const action = actionOf(command)
  const lines = [...output.stdout, ...output.stderr].map((l) => l.trim()).filter((l) => l !== '')
  const accepted = new Set<string>()
  for (const line of lines) {
    const m = confirmations[action].exec(line)
    if (m) accepted.add(m[1]!)
  }
  const result: ControlResult = { accepted: [], refused: [] }
  for (const id of command.ids) {
    if (accepted.has(id)) {
      result.accepted.push(id)
      continue
    }
    const named = lines.find((l) => new RegExp(`(^|[^0-9.])${id.replace('.', '\\.')}($|[^0-9])`).test(l))
    result.refused.push({ id, reason: named ?? `not confirmed (${failureOf(output)})` })
  }
  return result
}
