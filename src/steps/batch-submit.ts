import { setTimeout as delay } from 'node:timers/promises'
import { batchAdapter, toolsIn } from '../batch/registry.js'
import { failureOf, runBatchCommand, type BatchCommand, type ToolOutput } from '../batch/tool-output.js'
import type { TaggedSubmission } from '../batch/adapter.js'
import { shellQuote } from '../shell-quote.js'
import type { BuiltInOutputValues } from '../workflows/definition.js'
import { toolsFolder } from './job-lines.js'
import type { JobSpec, StepContext, StepImplementation, StepOutcome } from './step-type.js'

/**
 * `batch_submit`: submits a job file (a Slurm batch script, an HTCondor submit description) under a tag that
 * names the service's database, the task and the attempt (`--job-name`, `-batch-name`). The tag is recorded before the submission, so
 * after a crash the attempt that continues looks for jobs with it first and records those instead of
 * submitting again: the file is submitted at most once. The job ids are recorded with the line that printed
 * them; waiting is a separate step (wait_for_jobs, or wait_for_files with `jobs`).
 */
export const batchSubmitStep: StepImplementation<'batch_submit'> = {
  type: 'batch_submit',
  interruptible: false,
  canResume: (state) => typeof state.remoteHandle?.tag === 'string',
  run: runSubmit,
}

async function runSubmit(ctx: StepContext<'batch_submit'>): Promise<StepOutcome> {
  const inputs = ctx.step.inputs
  const spec: JobSpec = {
    system: inputs.system, tools: toolsFolder(ctx, ctx.render(inputs.tools)), holdOnPause: inputs.hold_on_pause ?? true,
  }
  const adapter = batchAdapter(spec.system, { tools: toolsIn(spec.system, spec.tools) })
  const tagged = adapter.tagged!
  const transport = ctx.transport()
  const onNoise = (stream: 'stdout' | 'stderr', line: string) => ctx.log('debug', line, `login ${stream}`)
  const previous = typeof ctx.remoteHandle?.tag === 'string' ? ctx.remoteHandle.tag : null

  if (previous !== null) {
    const find = () => findTagged(tagged, previous, (command) => runBatchCommand(transport, command, ctx.signal, onNoise))
    let found = await find()
    // a queue may not list a job right after its submission: absence proves nothing until the lag window is over
    const taggedAt = Date.parse(String(ctx.remoteHandle?.tagged_at ?? ''))
    const lagLeft = Number.isNaN(taggedAt) ? 0 : taggedAt + ctx.jobs.lagWindowMs() - Date.now()
    if (found.length === 0 && lagLeft > 0) {
      ctx.log('info', `no job carries tag ${previous} yet; looking again once the lag window is over (${Math.ceil(lagLeft / 1000)} s)`, 'engine')
      await delay(lagLeft, undefined, { signal: ctx.signal })
      found = await find()
    }
    if (found.length > 0) {
      ctx.jobs.logRevealed(`${found.length} job(s) were submitted under tag ${previous} before the interruption: ` +
        `${found.join(' ')}; not submitting again`, 'engine', spec, found)
      return succeed(ctx, found)
    }
    ctx.log('info', `no job carries tag ${previous}: the interrupted submission never reached the scheduler; submitting now`, 'engine')
  }
  const tag = previous ?? await ctx.jobs.submissionTag()
  if (previous === null) await ctx.setRemoteHandle({ tag, tagged_at: new Date().toISOString() })
  const file = ctx.render(inputs.file)
  const command = tagged.submitCommand(file, tag)
  if (inputs.cwd !== undefined) command.command = `cd -- ${shellQuote(ctx.render(inputs.cwd))} || exit\n${command.command}`
  ctx.log('info', `submitting ${file} to ${spec.system} as ${tag}`, 'engine')
  const output = await runBatchCommand(transport, command, ctx.signal, onNoise)
  for (const line of output.stderr) ctx.log('warning', line, 'stderr')
  const ids: string[] = []
  for (const line of output.stdout) {
    const revealed = adapter.parseSubmission([line])
    if (revealed.length > 0 && output.exitCode === 0) {
      ctx.jobs.logRevealed(line, 'stdout', spec, revealed)
      ids.push(...revealed)
    } else ctx.log('info', line, 'stdout')
  }
  if (output.exitCode !== 0) return { status: 'failed', error: `${command.frame.what} failed (${failureOf(output)})` }
  if (ids.length === 0) {
    return { status: 'failed', retryable: false, error: `${command.frame.what} printed no job id (${failureOf(output)})` }
  }
  return succeed(ctx, ids)
}

async function findTagged(tagged: TaggedSubmission, tag: string,
  run: (command: BatchCommand) => Promise<ToolOutput>): Promise<string[]> {
  const ids = new Set<string>()
  for (const command of tagged.findCommands(tag)) for (const id of tagged.parseFound(command, await run(command))) ids.add(id)
  // queue and history each list some: in submission order again
  return [...ids].sort((x, y) => x.localeCompare(y, 'en', { numeric: true }))
}

async function succeed(ctx: StepContext<'batch_submit'>, ids: string[]): Promise<StepOutcome> {
  const outputs: BuiltInOutputValues<'batch_submit'> = { job_ids: ids, count: ids.length }
  for (const [name, value] of Object.entries(outputs)) await ctx.setOutput(name, value)
  return { status: 'success', summary: `${ids.length} job(s) submitted` }
}
