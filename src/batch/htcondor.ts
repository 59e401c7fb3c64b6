import { checkTools, type BatchAdapter, type BatchTools } from './adapter.js'
import { condorExitStatus, condorIdPattern, condorQueueStatus, historyAttributes, parseCondorControl, parseCondorHistory,
  parseCondorSubmission } from './condor-output.js'
import { checkIds, defaultLimit, splitIds } from './job-ids.js'
import { failureOf, toolCommand, type BatchCommand } from './tool-output.js'
import { BatchError, type BatchSystem, type ControlAction, type JobStatus } from './types.js'

/** HoldReason last: it is the one holding spaces. */
const queueAttributes = ['ClusterId', 'ProcId', 'JobStatus', 'ExitCode', 'ExitSignal', 'HoldReason']

/**
 * HTCondor's history for ids (shared with hepjob, whose jobs are HTCondor jobs). A job has one history record,
 * so `-limit` lets condor_history stop reading the history file once it has found them all.
 */
export function condorHistoryCommands(system: BatchSystem, tool: string, ids: readonly string[],
  limit = defaultLimit): BatchCommand[] {
  return splitIds(checkIds(system, condorIdPattern, ids), limit).map((group) =>
    toolCommand(`condor_history of ${group.length} jobs`, tool,
      ['-limit', String(group.length), ...group, '-af', ...historyAttributes], group))
}

/** The condor_rm/hold/release style commands of both HTCondor adapters: every id one argument. */
export function condorControlCommands(system: BatchSystem, tools: BatchTools, action: ControlAction,
  ids: readonly string[], limit = defaultLimit): BatchCommand[] {
  return splitIds(checkIds(system, condorIdPattern, ids), limit).map((group) =>
    toolCommand(`${action} of ${group.length} jobs`, tools[action], group, group, action))
}

/**
 * HTCondor: `condor_q <ids> -af ClusterId ProcId JobStatus ExitCode ExitSignal HoldReason` (the ids go before
 * -af, which takes every later argument as an attribute; a completed job left in the queue has its exit code
 * there), `condor_history` for jobs that left the queue, `condor_rm`, `condor_hold`, `condor_release`.
 */
export function htcondorAdapter(tools: BatchTools): BatchAdapter {
  checkTools(tools)
  const check = (ids: readonly string[]) => checkIds('htcondor', condorIdPattern, ids)
  return {
    system: 'htcondor',
    checkIds: check,
    parseSubmission: parseCondorSubmission,
    queueCommands: (ids, limit = defaultLimit) => splitIds(check(ids), limit)
      .map((group) => toolCommand(`condor_q of ${group.length} jobs`, tools.queue, [...group, '-af', ...queueAttributes],
        group)),
    parseQueue(command, output) {
      if (output.exitCode !== 0) throw new BatchError(`${command.frame.what} failed (${failureOf(output)})`)
      const wanted = new Set(command.ids)
      const found = new Map<string, JobStatus>()
      for (const line of output.stdout) {
        if (line.trim() === '') continue
        const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line)
        if (!m) throw new BatchError(`${command.frame.what}: ${JSON.stringify(line)} is no queue line`)
        const id = `${m[1]}.${m[2]}`
        const reason = m[6]!.trim()
        const state = m[3] === '4' ? condorExitStatus(m[4], m[5])
          : condorQueueStatus(m[3]!, reason === '' || reason === 'undefined' ? null : reason)
        if (wanted.has(id) && state) found.set(id, state)
      }
      return found
    },
    historyCommands: (ids, limit) => condorHistoryCommands('htcondor', tools.history, ids, limit),
    parseHistory: parseCondorHistory,
    controlCommands: (action, ids, limit) => condorControlCommands('htcondor', tools, action, ids, limit),
    parseControl: (command, output) => parseCondorControl(command, output),
  }
}

