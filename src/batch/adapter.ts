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
  /**
   * Submitting a job file under a tag (Slurm's job name, HTCondor's JobBatchName) that names the task and step,
   * and finding what a tag was given to, so that a submission interrupted by a crash is never made twice.
   * Absent for hepjob, whose jobs come from the site's own scripts (an exec step's `jobs`).
   */
  tagged?: TaggedSubmission
}

export interface TaggedSubmission {
  submitCommand(file: string, tag: string): BatchCommand
  /** The commands that list the ids of the jobs with the tag, in the queue and in the history. */
  findCommands(tag: string): BatchCommand[]
  parseFound(command: BatchCommand, output: ToolOutput): string[]
}

/** A tag is put into command lines and constraints: only these characters. */
export const tagPattern = /^[A-Za-z0-9_.-]{1,64}$/

/** The absolute path of each tool an adapter runs (site variables: PATH is not set in non-interactive sessions). */
export interface BatchTools {
  submit: string
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
