import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Type, type TSchema } from 'typebox'
import { Value } from 'typebox/value'
import {
  builtInOutputs, ParameterSchema, stepSchemas, stepTypes, WorkflowSchema, type ParameterDefinition, type StepDefinition, type StepType,
  type WorkflowDefinition,
} from './definition.js'
import { checkParameterValue } from './parameters.js'
import { templateReferences, type TemplateReference } from './template.js'
import { quotedPlaceholders } from './quoted-placeholders.js'
import { messageOf } from '../errors.js'

export interface LoadedWorkflow {
  definition: WorkflowDefinition
  /** The file it came from, as given (e.g. workflows/topup_standard.json). */
  file: string
}

/** Every fault of every file, one per line: `workflows/x.json: /steps/2/inputs/command: must be string`. */
export class WorkflowLoadError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid workflow definition:\n  ${issues.join('\n  ')}`)
    this.name = 'WorkflowLoadError'
  }
}

const identifier = /^[A-Za-z][A-Za-z0-9_]*$/
const stepTypeNames = stepTypes as string[]

// The envelope is WorkflowSchema with each step and parameter checked only for its discriminator; each one
// is then checked against its own variant, so an error points into one step instead of "matches no union".
const Envelope = Type.Object({
  ...WorkflowSchema.properties,
  parameters: Type.Optional(Type.Record(Type.String(), Type.Object({ type: Type.String() }))),
  steps: Type.Array(Type.Object({ type: Type.String() }), { minItems: 1 }),
}, { additionalProperties: false })

const parameterVariants = new Map<string, TSchema>(
  (ParameterSchema as unknown as { anyOf: (TSchema & { properties: { type: { const: string } } })[] }).anyOf
    .map((variant) => [variant.properties.type.const, variant]))

function schemaErrors(schema: TSchema, value: unknown, prefix: string): string[] {
  return Value.Errors(schema, value)
    .filter((e) => e.keyword !== 'additionalProperties')
    .map((e) => `${prefix}${e.instancePath}: ${e.keyword === 'boolean' ? 'unknown property' : e.message}`)
}

/** Validates one parsed workflow file; returns its faults as "<json path>: <message>". */
export function validateWorkflow(data: unknown): string[] {
  const envelope = schemaErrors(Envelope, data, '')
  if (envelope.length > 0) return envelope
  const wf = data as WorkflowDefinition
  const issues: string[] = []
  const params = (wf.parameters ?? {}) as Record<string, ParameterDefinition>
  for (const [name, def] of Object.entries(params)) {
    const path = `/parameters/${name}`
    if (!identifier.test(name)) issues.push(`${path}: parameter names must match ${identifier.source}`)
    const variant = parameterVariants.get(def.type)
    if (!variant) {
      issues.push(`${path}/type: must be one of ${[...parameterVariants.keys()].join(', ')}`)
      continue
    }
    const own = schemaErrors(variant, def, path)
    issues.push(...own)
    if (own.length === 0) issues.push(...checkParameterRules(def, path))
  }
  const seen = new Map<string, Set<string>>()
  const submitting = new Set<string>()
  const vars = wf.vars ?? {}
  Object.entries(vars).forEach(([name, template], index) => {
    if (!identifier.test(name)) issues.push(`/vars/${name}: variable names must match ${identifier.source}`)
    // A variable may use parameters and the variables defined before it.
    const before = Object.fromEntries(Object.entries(vars).slice(0, index))
    issues.push(...checkReferences(template, `/vars/${name}`, { params, vars: before, earlier: seen }))
  })
  if (wf.concurrency) issues.push(...checkConcurrencyKey(wf.concurrency.key, { params, vars }))
  wf.steps.forEach((step, index) => {
    const path = `/steps/${index}`
    if (!stepTypeNames.includes(step.type)) {
      issues.push(`${path}/type: unknown step type "${step.type}" (known: ${stepTypeNames.join(', ')})`)
      return
    }
    const own = schemaErrors(stepSchemas[step.type as StepType], step, path)
    issues.push(...own)
    if (own.length > 0) return
    if (seen.has(step.id)) issues.push(`${path}/id: duplicate step id "${step.id}"`)
    for (const name of Object.keys(step.outputs ?? {})) {
      if (!identifier.test(name)) issues.push(`${path}/outputs/${name}: output names must match ${identifier.source}`)
    }
    issues.push(...checkReferences(step, path, { params, vars, earlier: seen }))
    if (step.type === 'exec') issues.push(...checkShellPlaceholders(step.inputs, `${path}/inputs`))
    issues.push(...checkStepRules(step, `${path}/inputs`))
    issues.push(...checkJobReferences(step, path, submitting))
    seen.set(step.id, new Set([...Object.keys(step.outputs ?? {}), ...Object.keys(builtInOutputs[step.type])]))
  })
  for (const [index, rule] of (wf.advice ?? []).entries()) {
    issues.push(...checkPattern(rule.match, rule.ignore_case, `/advice/${index}/match`))
  }
  return issues
}

/** Rules of step inputs the schema cannot say: patterns that compile, one way of counting a file entry. */
function checkStepRules(step: StepDefinition, path: string): string[] {
  if (step.type === 'exec') {
    return (step.inputs.fail_on ?? []).flatMap((check, i) => checkPattern(check.pattern, check.ignore_case, `${path}/fail_on/${i}/pattern`))
  }
  if (step.type !== 'wait_for_files') return []
  return step.inputs.files.flatMap((entry, i) => {
    if (typeof entry === 'string') return []
    const ways = (['count', 'min_count', 'as_many_as'] as const).filter((k) => entry[k] !== undefined)
    if (ways.length > 1) return [`${path}/files/${i}: give one of count, min_count and as_many_as, not ${ways.join(' and ')}`]
    const n = entry.count ?? entry.min_count
    return typeof n === 'number' && !Number.isInteger(n) ? [`${path}/files/${i}/${ways[0]}: must be a whole number`] : []
  })
}

function checkPattern(pattern: string, ignoreCase: boolean | undefined, path: string): string[] {
  try {
    new RegExp(pattern, ignoreCase ? 'iu' : 'u')
    return []
  } catch (error) {
    return [`${path}: not a valid regular expression (${messageOf(error)})`]
  }
}

/** A jobs declaration names an output of its step; a wait on jobs names an earlier step that declares them. */
function checkJobReferences(step: StepDefinition, path: string, submitting: Set<string>): string[] {
  if (step.type === 'batch_submit') submitting.add(step.id)
  if (step.type === 'exec' && step.inputs.jobs) {
    const output = step.inputs.jobs.from_output
    submitting.add(step.id)
    if (!step.outputs?.[output]?.pattern) {
      return [`${path}/inputs/jobs/from_output: "${output}" must be an output of this step with a pattern`]
    }
  }
  if ((step.type === 'wait_for_jobs' || step.type === 'wait_for_files') && step.inputs.jobs !== undefined &&
    !submitting.has(step.inputs.jobs)) {
    return [`${path}/inputs/jobs: "${step.inputs.jobs}" is not an earlier step that declares cluster jobs`]
  }
  return []
}

/** The key is rendered when a task is created, before any step has run: it may use parameters and variables only. */
function checkConcurrencyKey(key: string, scope: { params: Record<string, unknown>; vars: Record<string, unknown> }): string[] {
  const path = '/concurrency/key'
  let refs: TemplateReference[]
  try {
    refs = templateReferences(key)
  } catch (error) {
    return [`${path}: ${messageOf(error)}`]
  }
  const others = refs.filter((ref) => ref.kind !== 'params' && ref.kind !== 'vars')
  if (others.length > 0) return others.map((ref) => `${path}: {{ ${ref.expression} }}: the key may use only params and vars`)
  return checkReferences(key, path, { ...scope, earlier: new Map() })
}

function checkParameterRules(def: ParameterDefinition, path: string): string[] {
  const issues: string[] = []
  if (def.type === 'string' && def.pattern !== undefined) {
    const bad = checkPattern(def.pattern, false, `${path}/pattern`)
    if (bad.length > 0) return bad
  }
  if (def.type === 'integer' && def.minimum !== undefined && def.maximum !== undefined && def.minimum > def.maximum) {
    issues.push(`${path}: minimum is greater than maximum`)
  }
  if (def.default !== undefined) {
    const problem = checkParameterValue(def, def.default)
    if (problem) issues.push(`${path}/default: ${problem}`)
  }
  return issues
}

/**
 * Every `{{ … }}` in `value`: params and vars must be declared, steps must be earlier with that output, declared
 * or built-in.
 */
function checkReferences(value: unknown, path: string, scope: {
  params: Record<string, unknown>; vars: Record<string, unknown>; earlier: Map<string, Set<string>>
}): string[] {
  const issues: string[] = []
  walkStrings(value, path, (text, at) => {
    let refs: TemplateReference[]
    try {
      refs = templateReferences(text)
    } catch (error) {
      issues.push(`${at}: ${messageOf(error)}`)
      return
    }
    for (const ref of refs) {
      const expr = `{{ ${ref.expression} }}`
      if (ref.kind === 'params' && !Object.hasOwn(scope.params, ref.name)) {
        issues.push(`${at}: unknown parameter "${ref.name}" in ${expr}`)
      } else if (ref.kind === 'vars' && !Object.hasOwn(scope.vars, ref.name)) {
        issues.push(`${at}: unknown variable "${ref.name}" in ${expr}`)
      } else if (ref.kind === 'steps') {
        const outputs = scope.earlier.get(ref.step)
        if (!outputs) issues.push(`${at}: ${expr} refers to step "${ref.step}", which is not an earlier step`)
        else if (!outputs.has(ref.output)) {
          issues.push(`${at}: ${expr}: step "${ref.step}" has no output "${ref.output}" ` +
            (outputs.size > 0 ? `(it has: ${[...outputs].join(', ')})` : '(it declares none)'))
        }
      }
    }
  })
  return issues
}

/** A placeholder in a command line is quoted when rendered; inside quotes or a substitution that is unsafe. */
function checkShellPlaceholders(inputs: { command: string; cwd?: string | undefined }, path: string): string[] {
  const fields = { command: inputs.command, cwd: inputs.cwd }
  return Object.entries(fields).flatMap(([field, text]) => text === undefined ? [] : quotedPlaceholders(text)
    .map((q) => `${path}/${field}: ${q.placeholder} is ${q.where}: write the placeholder bare: it is quoted for you ` +
      `(where it must go inside, set a variable first: name=${q.placeholder} … "$name")`))
}

function walkStrings(value: unknown, path: string, visit: (text: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, path)
  else if (Array.isArray(value)) value.forEach((item, i) => walkStrings(item, `${path}/${i}`, visit))
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) walkStrings(item, `${path}/${key}`, visit)
  }
}

/**
 * Loads and validates every `*.json` of a folder. Any fault in any file throws WorkflowLoadError listing
 * all of them with file and JSON path; a bad file stops the start rather than disappearing from the list.
 */
export function loadWorkflows(dir: string): LoadedWorkflow[] {
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort()
  } catch (error) {
    throw new WorkflowLoadError([`${dir}: cannot read the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`])
  }
  const issues: string[] = []
  const loaded: LoadedWorkflow[] = []
  const byName = new Map<string, string>()
  for (const name of names) {
    const file = join(dir, name)
    let data: unknown
    try {
      data = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      issues.push(`${file}: not valid JSON (${messageOf(error)})`)
      continue
    }
    const faults = validateWorkflow(data)
    if (faults.length > 0) {
      issues.push(...faults.map((f) => `${file}: ${f}`))
      continue
    }
    const definition = data as WorkflowDefinition
    const other = byName.get(definition.name)
    if (other) issues.push(`${file}: /name: workflow "${definition.name}" is already defined in ${other}`)
    byName.set(definition.name, file)
    loaded.push({ definition, file })
  }
  if (issues.length > 0) throw new WorkflowLoadError(issues)
  return loaded
}
