import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { FastifySchema, FastifySchemaCompiler } from 'fastify'

/**
 * How request parts are checked against their route schemas. A JSON body already has types, so it is checked
 * as sent: `"start": "true"` or `"task_name": 5` is a 400, not silently converted. Path and query values are
 * text, so numbers in them are converted, but only when written as plain decimal numbers: Ajv's own
 * conversion also takes `0x1`, ` 1` and `1e309` (Infinity, which then passes every range check).
 * `additionalProperties: false` rejects an unknown field rather than dropping it.
 */
const base = { useDefaults: true, removeAdditional: false, allErrors: true, addUsedSchema: false } as const
const bodyAjv = new Ajv({ ...base, coerceTypes: false })
const textAjv = new Ajv({ ...base, coerceTypes: 'array' })

interface PropertySchema { type?: unknown }
const numberForms: Record<string, { pattern: RegExp; message: string }> = {
  integer: { pattern: /^-?\d+$/, message: 'must be a whole number written in decimal digits' },
  number: { pattern: /^-?\d+(\.\d+)?$/, message: 'must be a decimal number' },
}

/** Rejects numeric path/query values that are not plain, finite, safe decimal numbers; then Ajv converts. */
function plainNumbersFirst(schema: FastifySchema, validate: ValidateFunction) {
  const properties = (schema as { properties?: Record<string, PropertySchema> }).properties ?? {}
  const numeric = Object.entries(properties).flatMap(([name, p]) =>
    (typeof p.type === 'string' && numberForms[p.type] ? [[name, numberForms[p.type]!] as const] : []))
  if (numeric.length === 0) return validate
  return (data: unknown) => {
    const values = (data ?? {}) as Record<string, unknown>
    const errors: ErrorObject[] = numeric.flatMap(([name, form]) => {
      const raw = values[name]
      if (typeof raw !== 'string') return []
      const message = !form.pattern.test(raw) ? form.message
        : Math.abs(Number(raw)) > Number.MAX_SAFE_INTEGER ? `must be at most ${Number.MAX_SAFE_INTEGER} in size` : null
      return message ? [{ instancePath: `/${name}`, schemaPath: `#/properties/${name}/type`, keyword: 'type', params: {}, message }] : []
    })
    if (errors.length > 0) return { error: errors }
    return validate(data) ? { value: data } : { error: validate.errors ?? [] }
  }
}

export const validatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  if (httpPart === 'body') return bodyAjv.compile(schema)
  return plainNumbersFirst(schema, textAjv.compile(schema))
}
