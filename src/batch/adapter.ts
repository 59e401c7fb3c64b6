import type { BatchCommand, ToolOutput } from './tool-output.js'
import type { CommandLimit } from './job-ids.js'
import type { BatchSystem, ControlAction, ControlResult, JobStatus } from './types.js'

/**
 * One batch system as the service sees it. Commands are built here and run elsewhere (runBatchCommand); every
 * one of them is framed and queries or acts on many ids at once, split into several commands only where one
 * command line would pass the limit. A parse that cannot trust the output throws (BatchError, FramingError):
 * a poll that fails is an infrastructure fault, never a job's failure.
 */
export interface BatchAdapter {
  readonly system: BatchSystem
  /** Throws InvalidJobIdError unless the id has this system's form. */
  checkIds(ids: readonly string[]): string[]
  /** The job ids a submission printed (hep_sub, condor_submit, boss.condor, sbatch --parsable), in order. */
  parseSubmission(lines: readonly string[]): string[]
  /** The commands that ask the queue about the ids. */
  queueCommands(ids: readonly string[], limit?: CommandLimit): BatchCommand[]
  /**
   * The state of each id of the command that the queue still holds. A job the queue shows as finished but
   * without its exit code is left out, like one missing: its end is read from the history.
   */
  parseQueue(command: BatchCommand, output: ToolOutput): Map<string, JobStatus>
  /** The commands that ask the history (condor_history, sacct) about ids missing from the queue. */
  historyCommands(ids: readonly string[], limit?: CommandLimit): BatchCommand[]
  parseHistory(command: BatchCommand, output: ToolOutput): Map<string, JobStatus>
  controlCommands(action: ControlAction, ids: readonly string[], limit?: CommandLimit): BatchCommand[]
  parseControl(command: BatchCommand, output: ToolOutput): ControlResult
}

/** The absolute path of each tool an adapter runs (site variables: PATH is not set in non-interactive sessions). */
export interface BatchTools {
  queue: string
  history: string
  cancel: string
  hold: string
  release: string
}

export function checkTools(tools: BatchTools): BatchTools {
  for (const [role, path] of Object.entries(tools)) {
    if (!path.startsWith('/')) throw new Error(`the ${role} tool must be an absolute path, not ${JSON.stringify(path)}`)
  }
  return tools
}
