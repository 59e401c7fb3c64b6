import { isAbsolute, resolve } from 'node:path'
import { isJobId, submittedIds } from '../batch/registry.js'
import type { StepContext, JobSpec } from './step-type.js'
import { compile } from './output-capture.js'

/** Reads an exec step's submission lines: what jobs a line reveals, per the step's `jobs` declaration. */
export interface JobLines {
  spec: JobSpec
  /** The ids a stdout line reveals; null when it is no submission line. */
  idsOf(line: string): string[] | null
}

/**
 * The submission reader of an exec step that declares jobs (null otherwise). A line is a submission when the
 * named output's pattern matches it; its ids are what the batch system's submission format says
 * (`2 job(s) submitted to cluster 7.` is 7.0 and 7.1), else the value the pattern captured. A value that is no
 * id of the system is not recorded (the line says why).
 */
export function jobLines(ctx: StepContext<'exec'>): JobLines | null {
  const declaration = ctx.step.inputs.jobs
  if (!declaration) return null
  const output = ctx.step.outputs?.[declaration.from_output]
  if (!output?.pattern) throw new Error(`jobs.from_output "${declaration.from_output}" is no output with a pattern`)
  const pattern = compile(output.pattern, `output "${declaration.from_output}"`)
  const spec: JobSpec = {
    system: declaration.system, tools: toolsFolder(ctx, ctx.render(declaration.tools)),
    holdOnPause: declaration.hold_on_pause ?? true,
  }
  return {
    spec,
    idsOf: (line) => {
      const m = pattern.exec(line)
      if (!m) return null
      const parsed = submittedIds(spec.system, line)
      if (parsed.length > 0) return parsed
      const value = (m[output.group ?? (m.length > 1 ? 1 : 0)] ?? '').trim()
      if (isJobId(spec.system, value)) return [value]
      ctx.log('warning', `${JSON.stringify(value)} is no ${spec.system} job id: not recorded`, 'engine')
      return []
    },
  }
}

/** Tool paths are absolute on a remote host (PATH is not set there); on `local` a relative one is the server's. */
export function toolsFolder(ctx: StepContext, folder: string): string {
  if (isAbsolute(folder)) return folder
  if (ctx.transport().host === 'local') return resolve(folder)
  throw new Error(`jobs.tools must be an absolute folder on host ${ctx.transport().host}, not ${JSON.stringify(folder)}`)
}
