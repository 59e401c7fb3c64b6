import { tagPattern, type BatchTools, type TaggedSubmission } from './adapter.js'
import { slurmIdPattern } from './slurm.js'
import { failureOf, toolCommand, type BatchCommand, type ToolOutput } from './tool-output.js'
import { BatchError } from './types.js'

function checkTag(tag: string): string {
  if (!tagPattern.test(tag)) throw new Error(`${JSON.stringify(tag)} is no job tag`)
  return tag
}

function okLines(command: BatchCommand, output: ToolOutput): string[] {
  if (output.exitCode !== 0) throw new BatchError(`${command.frame.what} failed (${failureOf(output)})`)
  return output.stdout.map((line) => line.trim()).filter((line) => line !== '')
}

/** Slurm: `sbatch --parsable --job-name=<tag> <file>`; found by `squeue -h -r -n <tag> -o %i` and `sacct -n -P -X --name=<tag> -o JobID`. */
export function slurmTagged(tools: BatchTools): TaggedSubmission {
  return {
    submitCommand: (file, tag) => toolCommand(`sbatch of ${file}`, tools.submit, ['--parsable', `--job-name=${checkTag(tag)}`, file], []),
    findCommands: (tag) => [
      toolCommand(`squeue of ${tag}`, tools.queue, ['-h', '-r', '-n', checkTag(tag), '-o', '%i'], []),
      toolCommand(`sacct of ${tag}`, tools.history, ['-n', '-P', '-X', `--name=${checkTag(tag)}`, '-o', 'JobID'], []),
    ],
    parseFound: (command, output) => okLines(command, output).filter((id) => slurmIdPattern.test(id)),
  }
}

/**
 * HTCondor: `condor_submit -batch-name <tag> <file>`; found by `condor_q` and `condor_history` with the
 * constraint `JobBatchName == "<tag>"`.
 */
export function condorTagged(tools: BatchTools): TaggedSubmission {
  const constraint = (tag: string) => `JobBatchName == "${checkTag(tag)}"`
  return {
    submitCommand: (file, tag) => toolCommand(`condor_submit of ${file}`, tools.submit, ['-batch-name', checkTag(tag), file], []),
    findCommands: (tag) => [
      toolCommand(`condor_q of ${tag}`, tools.queue, ['-constraint', constraint(tag), '-af', 'ClusterId', 'ProcId'], []),
      toolCommand(`condor_history of ${tag}`, tools.history, ['-constraint', constraint(tag), '-af', 'ClusterId', 'ProcId'], []),
    ],
    parseFound: (command, output) => okLines(command, output).flatMap((line) => {
      const m = /^(\d+)\s+(\d+)$/.exec(line)
      if (!m) throw new BatchError(`${command.frame.what}: ${JSON.stringify(line)} is no "cluster proc" line`)
      return [`${m[1]}.${m[2]}`]
    }),
  }
}
