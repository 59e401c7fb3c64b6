import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { FastifySchema, FastifySchemaCompiler, RouteOptions } from 'fastify'
import { textFormats, textProblem } from './schemas/text.js'

/**
 * How request parts are checked against their route schemas. A JSON body already has types, so it is checked
 * as sent: `"start": "true"` or `"task_name": 5` is a 400, not silently converted. Path and query values are
 * text, so numbers in them are converted, but only when written as plain decimal numbers: Ajv's own
 * conversion also takes `0x1`, ` 1` and `1e309` (Infinity, which then passes every range check).
 * `additionalProperties: false` rejects an unknown field rather than dropping it; a query schema has it unless
 * it says otherwise. Before any schema, every string of the part (names included) is checked once for what no
 * field may hold (src/api/schemas/text.ts). `verbose` gives each error its schema, from which the messages
 * below name the allowed values and fields.
 */
const base = { useDefaults: true, removeAdditional: false, allErrors: true, addUsedSchema: false, verbose: true } as const
const bodyAjv = withFormats(new Ajv({ ...base, coerceTypes: false }))
const textAjv = withFormats(new Ajv({ ...base, coerceTypes: 'array' }))

function withFormats(ajv: Ajv): Ajv {
  for (const [name, format] of Object.entries(textFormats)) ajv.addFormat(name, { type: 'string', validate: format.test })
  return ajv
}

type Check = (data: unknown) => { value: unknown } | { error: ErrorObject[] }

const fieldError = (instancePath: string, message: string, keyword = 'text'): ErrorObject =>
  ({ instancePath, schemaPath: '#', keyword, params: {}, message })

const pointer = (name: string) => `/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`

/** Every string (and property name) that no field may hold, and `-0`, wherever they sit in `data`. */
function textErrors(data: unknown): ErrorObject[] {
  const errors: ErrorObject[] = []
  // A stack, not recursion: a deeply nested body must not overflow the call stack.
  const pending: [unknown, string][] = [[data, '']]
  for (let item = pending.pop(); item; item = pending.pop()) {
    const [value, path] = item
    if (typeof value === 'string') {
      const problem = textProblem(value)
      if (problem) errors.push(fieldError(path, problem))
    } else if (typeof value === 'number' && Object.is(value, -0)) {
      errors.push(fieldError(path, 'must not be -0 (write 0)'))
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => pending.push([v, `${path}/${i}`]))
    } else if (value !== null && typeof value === 'object') {
      for (const [name, v] of Object.entries(value)) {
        const problem = textProblem(name)
        if (problem) errors.push(fieldError(path, `has a field name that ${problem}`))
        else pending.push([v, `${path}${pointer(name)}`])
      }
    }
  }
  return errors
}

interface PropertySchema { type?: unknown }
const numberForms: Record<string, { pattern: RegExp; message: string }> = {
  integer: { pattern: /^-?\d+$/, message: 'must be a whole number written in decimal digits' },
  number: { pattern: /^-?\d+(\.\d+)?$/, message: 'must be a decimal number' },
}
const negativeZero = /^-0+(\.0+)?$/

/** Numeric path/query values that are not plain, finite, safe decimal numbers (Ajv converts the rest). */
function numberErrors(schema: FastifySchema, data: unknown): ErrorObject[] {
  const properties = (schema as { properties?: Record<string, PropertySchema> }).properties ?? {}
  const values = (data ?? {}) as Record<string, unknown>
  return Object.entries(properties).flatMap(([name, p]) => {
    const form = typeof p.type === 'string' ? numberForms[p.type] : undefined
    const raw = values[name]
    if (!form || typeof raw !== 'string') return []
    const message = negativeZero.test(raw) ? 'must not be -0 (write 0)'
      : !form.pattern.test(raw) ? form.message
        : Math.abs(Number(raw)) > Number.MAX_SAFE_INTEGER ? `must be at most ${Number.MAX_SAFE_INTEGER} in size` : null
    return message ? [fieldError(`/${name}`, message, 'type')] : []
  })
}

const list = (values: unknown[]) => values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')

/** One error in words that name what is allowed. */
function reworded(error: ErrorObject, noun: string): ErrorObject {
  const params = error.params as Record<string, unknown>
  const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined
  switch (error.keyword) {
    case 'enum':
      return { ...error, message: `must be one of: ${list(params.allowedValues as unknown[])}` }
    case 'const':
      return { ...error, message: `must be ${list([params.allowedValue])}` }
    case 'format':
      return { ...error, message: textFormats[String(params.format)]?.message ?? error.message }
    case 'additionalProperties': {
      const known = Object.keys(parent?.properties ?? {})
      const name = String(params.additionalProperty)
      return {
        ...error, instancePath: `${error.instancePath}${pointer(name)}`,
        message: known.length > 0 ? `is not a known ${noun} (known: ${known.join(', ')})` : `is not a known ${noun} (there are none here)`,
      }
    }
    default:
      return error
  }
}

/**
 * Ajv reports a failed `anyOf` once per branch (a status of nine values gave nine "must be equal to constant");
 * each anyOf becomes one error saying what would pass.
 */
function shaped(errors: ErrorObject[], noun: string): ErrorObject[] {
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf')
  const inBranchOf = (e: ErrorObject, group: ErrorObject) => e !== group && e.schemaPath.startsWith(`${group.schemaPath}/`)
  return errors.flatMap((error) => {
    if (anyOfs.some((group) => inBranchOf(error, group))) return []
    if (error.keyword !== 'anyOf') return [reworded(error, noun)]
    const branches = errors.filter((e) => inBranchOf(e, error))
    const consts = branches.filter((e) => e.keyword === 'const').map((e) => (e.params as { allowedValue: unknown }).allowedValue)
    const types = [...new Set(branches.filter((e) => e.keyword === 'type').map((e) => String((e.params as { type: unknown }).type)))]
    const simple = branches.every((e) => (e.keyword === 'const' || e.keyword === 'type') && e.instancePath === error.instancePath)
    const message = simple && consts.length > 0 ? `must be one of: ${list(consts)}`
      : simple ? `must be ${types.join(' or ')}`
        : `must match one of its forms: ${[...new Set(branches.map((e) => reworded(e, noun).message))].join('; ')}`
    return [{ ...error, message }]
  })
}

function checked(validate: ValidateFunction, before: (data: unknown) => ErrorObject[], noun: string): Check {
  return (data) => {
    const refused = before(data)
    if (refused.length > 0) return { error: refused }
    return validate(data) ? { value: data } : { error: shaped(validate.errors ?? [], noun) }
  }
}

export const validatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  if (httpPart === 'body') return checked(bodyAjv.compile(schema), textErrors, 'field')
  const strict = httpPart === 'querystring' ? { additionalProperties: false, ...schema } : schema
  return checked(textAjv.compile(strict), (data) => [...textErrors(data), ...numberErrors(schema, data)],
    httpPart === 'querystring' ? 'query parameter' : 'field')
}

const NoQuery = { type: 'object', properties: {}, additionalProperties: false } as const

/**
 * An onRoute hook: a route that declares no query parameters refuses any, as one with a query schema refuses
 * the ones it does not list (a misspelt filter must not silently list everything). A WebSocket route is left
 * alone: its upgrade takes the token as a query parameter (src/auth/plugin.ts).
 */
export function refuseUndeclaredQuery(route: RouteOptions & { wsHandler?: unknown }): void {
  if (route.wsHandler || route.schema?.querystring) return
  route.schema = { ...route.schema, querystring: NoQuery }
}
