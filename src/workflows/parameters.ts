import type { ParameterValue } from '../domain.js'
import type { FieldError } from '../errors.js'
import type { ParameterDefinition } from './definition.js'

export type { ParameterValue }
export type ParameterDefinitions = Readonly<Record<string, ParameterDefinition>>

export type ParameterResult =
  | { ok: true; values: Record<string, ParameterValue> }
  | { ok: false; errors: FieldError[] }

/** True for six digits YYMMDD that name a real calendar day (20YY). */
export function isYymmdd(text: string): boolean {
  const match = /^(\d{2})(\d{2})(\d{2})$/.exec(text)
  if (!match) return false
  const [year, month, day] = [2000 + Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/** Why `value` does not satisfy `def`, or null when it does. */
export function checkParameterValue(def: ParameterDefinition, value: unknown): string | null {
  switch (def.type) {
    case 'string': {
      if (typeof value !== 'string') return 'must be a string'
      if (def.min_length !== undefined && value.length < def.min_length) return `must be at least ${def.min_length} characters`
      if (def.max_length !== undefined && value.length > def.max_length) return `must be at most ${def.max_length} characters`
      if (def.format === 'yymmdd' && !isYymmdd(value)) return 'must be a date as YYMMDD (six digits, a real day, e.g. 250624)'
      if (def.pattern !== undefined && !new RegExp(def.pattern, 'u').test(value)) return `must match ${def.pattern}`
      return null
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return 'must be an integer'
      if (def.minimum !== undefined && value < def.minimum) return `must be >= ${def.minimum}`
      if (def.maximum !== undefined && value > def.maximum) return `must be <= ${def.maximum}`
      return null
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false'
    case 'enum':
      return typeof value === 'string' && def.values.includes(value) ? null : `must be one of ${def.values.join(', ')}`
  }
}

/**
 * Validates task parameters against a workflow's definitions and fills in defaults. Unknown names are
 * rejected (a typo must not silently run with a default); `null` counts as "not given". Each error's
 * `field` is the parameter's name.
 */
export function resolveParameters(defs: ParameterDefinitions | undefined, input: Readonly<Record<string, unknown>> = {}):
  ParameterResult {
  const definitions = defs ?? {}
  const errors: FieldError[] = []
  const values: Record<string, ParameterValue> = {}
  for (const name of Object.keys(input)) {
    if (!Object.hasOwn(definitions, name)) errors.push({ field: name, message: 'unknown parameter' })
  }
  for (const [name, def] of Object.entries(definitions)) {
    const given = input[name]
    if (given === undefined || given === null) {
      if (def.default !== undefined) values[name] = def.default
      else if (def.required) errors.push({ field: name, message: 'is required' })
      continue
    }
    const problem = checkParameterValue(def, given)
    if (problem) errors.push({ field: name, message: problem })
    else values[name] = given as ParameterValue
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, values }
}

/** How a resolved value is stored in task_parameters.param_value, and read back. */
export function encodeParameter(value: ParameterValue): string {
  return typeof value === 'string' ? value : String(value)
}

export function decodeParameter(type: string, text: string): ParameterValue {
  if (type === 'integer') return Number(text)
  if (type === 'boolean') return text === 'true'
  return text
}

/** One line naming every bad parameter, for problem+json `detail`. */
export function describeParameterErrors(errors: FieldError[]): string {
  return errors.map((e) => `parameter ${e.field}: ${e.message}`).join('; ')
}
