import { AppError, messageOf } from '../errors.js'
import type { WorkflowDefinition } from '../workflows/definition.js'
import { resolveVars, templateReferences } from '../workflows/template.js'

/** The workflow whose days are listed: its site variables name the folders, its tasks are the service's record. */
export const DAY_WORKFLOW = 'topup_standard_workflow'
/** Its site variables naming the folder of raw data (one sub-folder per day) and InjSigTimeCal. */
const RAW_DATA_DIR = 'raw_data_dir'
const JOB_DIR = 'job_dir'

/** Where a round's days are on the site, and the host that sees those folders. */
export interface DayFolders {
  host: string
  /** One folder per day with raw data. */
  rawDataDir: string
  /** InjSigTimeCal: a day's folder in it means the site has processed (at least started) that day. */
  jobDir: string
}

/**
 * The folders of `round` as the workflow's site variables say (TOPUP_VAR_<NAME> overrides included), on the host
 * of its first step (1.1's: beslogin). A variable that cannot be rendered for a round alone is a setup fault: 503.
 */
export function dayFolders(definition: WorkflowDefinition, overrides: Readonly<Record<string, string>>, round: string): DayFolders {
  try {
    const vars = resolveVars(varsNeeded(definition.vars ?? {}, overrides, [RAW_DATA_DIR, JOB_DIR]), overrides,
      { params: { round }, task: { id: 0, user_id: '' } })
    return {
      host: definition.steps.find((step) => step.host !== undefined)?.host ?? 'local',
      rawDataDir: vars[RAW_DATA_DIR]!,
      jobDir: vars[JOB_DIR]!,
    }
  } catch (error) {
    throw new AppError('service_unavailable', `the site folders of ${definition.name} cannot be worked out: ${messageOf(error)}`)
  }
}

/**
 * The named variables and those they use, in their order of definition: the other variables may need a day or
 * a task (date_dir needs date_param), which a listing of days does not have.
 */
function varsNeeded(definition: Record<string, string>, overrides: Readonly<Record<string, string>>, names: string[]):
  Record<string, string> {
  const needed = new Set<string>()
  const visit = (name: string) => {
    if (needed.has(name)) return
    if (!Object.hasOwn(definition, name)) throw new Error(`it has no site variable "${name}"`)
    needed.add(name)
    const template = Object.hasOwn(overrides, name) ? overrides[name]! : definition[name]!
    for (const ref of templateReferences(template)) {
      if (ref.kind === 'vars') visit(ref.name)
      else if (ref.kind !== 'params') throw new Error(`variable "${name}" uses {{ ${ref.expression} }}, which no list of days has`)
    }
  }
  names.forEach(visit)
  return Object.fromEntries(Object.entries(definition).filter(([name]) => needed.has(name)))
}
