import { checkTools, type BatchAdapter, type BatchTools } from './adapter.js'
import { condorIdPattern, parseCondorControl, parseCondorHistory, parseCondorSubmission } from './condor-output.js'
import { condorControlCommands, condorHistoryCommands } from './htcondor.js'
import { checkIds } from './job-ids.js'
import { failureOf, toolCommand, type BatchCommand, type ToolOutput } from './tool-output.js'
import { BatchError, jobStatus, type JobStatus } from './types.js'

/**
 * hep_q's ST column (condor_q's letters). C (completed) is null: its exit code is in the history. Without
 * HoldReason in hep_q's listing, a held job's reason is unknown here.
 */
export function hepStatus(letter: string): JobStatus | null {
  switch (letter) {
    case 'I': return jobStatus('queued')
    case 'R': case '<': case '>': return jobStatus('running')
    case 'H': return jobStatus('held')
    case 'S': return jobStatus('suspended')
    case 'X': return jobStatus('removed')
    case 'C': return null
    default: throw new BatchError(`ST ${JSON.stringify(letter)} is no hep_q job state`)
  }
}

/**
 * `hep_q -u <user>` lists every job of the user (one command whatever the number of ids):
 *   JOBID  OWNER  SUBMITTED(date time)  RUN_TIME  ST  PRI  SIZE  CMD
 * then a blank line and the summary `N jobs; 0 completed, …`. Only rows starting with a job id are read.
 */
export function parseHepQueue(command: BatchCommand, output: ToolOutput): Map<string, JobStatus> {
  if (output.exitCode !== 0) throw new BatchError(`${command.frame.what} failed (${failureOf(output)})`)
  const wanted = new Set(command.ids)
  const found = new Map<string, JobStatus>()
  for (const line of output.stdout) {
    const fields = line.trim().split(/\s+/)
    if (!condorIdPattern.test(fields[0]!)) continue
    if (fields.length < 8) throw new BatchError(`${command.frame.what}: ${JSON.stringify(line)} is no hep_q row`)
    const state = hepStatus(fields[5]!)
    if (wanted.has(fields[0]!) && state) found.set(fields[0]!, state)
  }
  return found
}

const userPattern = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/

/**
 * IHEP's HepJob, HTCondor behind wrappers: hep_sub / boss.condor submit (condor_submit's output), `hep_q -u
 * <user>` lists, hep_rm removes (condor_rm's output); the history is condor_history and hold/release are the
 * site's hold and release tools (condor_hold / condor_release's output).
 */
export function hepjobAdapter(tools: BatchTools, user: string): BatchAdapter {
  checkTools(tools)
  if (!userPattern.test(user)) throw new Error(`${JSON.stringify(user)} is no user name`)
  const check = (ids: readonly string[]) => checkIds('hepjob', condorIdPattern, ids)
  return {
    system: 'hepjob',
    checkIds: check,
    parseSubmission: parseCondorSubmission,
    queueCommands: (ids) => {
      const wanted = check(ids)
      return wanted.length === 0 ? [] : [toolCommand(`hep_q of ${user}`, tools.queue, ['-u', user], wanted)]
    },
    parseQueue: parseHepQueue,
    historyCommands: (ids, limit) => condorHistoryCommands('hepjob', tools.history, ids, limit),
    parseHistory: parseCondorHistory,
    controlCommands: (action, ids, limit) => condorControlCommands('hepjob', tools, action, ids, limit),
    parseControl: parseCondorControl,
  }
}
