import { Type, type Static, type TSchema } from 'typebox'
import { errorCodes, type ErrorCode } from '../../errors.js'
import { problemExample } from '../openapi-problems.js'
import { MAX_TEXT_LENGTH } from './text.js'

const PROBLEM_ID = 'Problem'
export const PROBLEM_MEDIA_TYPE = 'application/problem+json'

/** RFC 9457 problem+json, the body of every 4xx and 5xx; registered once (app.addSchema), referenced by its $id. */
export const ProblemSchema = Type.Object({
  type: Type.String({ description: 'URI naming the kind of problem' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.Union(Object.keys(errorCodes).map((c) => Type.Literal(c)), { description: 'stable error code' }),
  errors: Type.Optional(Type.Array(Type.Object({
    field: Type.String({ description: 'the parameter or request field, e.g. date_param or query/limit' }),
    message: Type.String(),
  }), { description: 'one entry per invalid field (validation errors)' })),
}, {
  $id: PROBLEM_ID,
  additionalProperties: true,
  examples: [{
    type: 'https://topup.invalid/problems/invalid-parameters', title: 'Invalid workflow parameters', status: 400,
    detail: 'parameter date_param: must be a date as YYMMDD (six digits, a real day, e.g. 250624)',
    code: 'invalid_parameters',
    errors: [{ field: 'date_param', message: 'must be a date as YYMMDD (six digits, a real day, e.g. 250624)' }],
  }],
})

/** The codes a route names for its problem responses: a code, or a status meaning every code of that status. */
export type ProblemCodes = (ErrorCode | number)[]

/** The codes of `entries`, grouped by status (in errorCodes order). */
export function codesByStatus(entries: ProblemCodes): Map<number, ErrorCode[]> {
  const wanted = new Set(entries.flatMap((entry) => (typeof entry === 'number' ? codesOfStatus(entry) : [entry])))
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of Object.keys(errorCodes) as ErrorCode[]) {
    if (wanted.has(code)) byStatus.set(errorCodes[code].status, [...byStatus.get(errorCodes[code].status) ?? [], code])
  }
  return byStatus
}

const codesOfStatus = (status: number) => (Object.keys(errorCodes) as ErrorCode[]).filter((c) => errorCodes[c].status === status)

/**
 * The problem responses a route can give besides those every /api route can (src/api/openapi-document.ts adds
 * those): each code, or a status for all its codes. Each response is `application/problem+json`, the one registered
 * ProblemSchema (typed as it, so handlers stay checked), with an example of each code.
 */
export function problems(...entries: ProblemCodes): Record<number, TSchema> {
  return Object.fromEntries([...codesByStatus(entries)].map(([status, codes]) => [status, problemResponse(status, codes)]))
}

/** One status's problem response: described by its codes, one example for each. */
export function problemResponse(status: number, codes: ErrorCode[]): TSchema {
  return Type.Unsafe<Static<typeof ProblemSchema>>({
    description: `problem+json (${status}): ${codes.map((c) => `\`${c}\``).join(', ')}`,
    content: {
      [PROBLEM_MEDIA_TYPE]: {
        schema: { $ref: `${PROBLEM_ID}#` },
        examples: Object.fromEntries(codes.map((code) => [code, { summary: errorCodes[code].title, value: problemExample(code) }])),
      },
    },
  })
}

export const IdParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'numeric id' }),
})

export const Limit = (def: number, max: number) =>
  Type.Integer({ minimum: 1, maximum: max, default: def, description: `page size, 1 to ${max} (default ${def})` })
export const Offset = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'rows to skip' })

export function pageOf<T extends TSchema>(item: T, description: string) {
  return Type.Object({
    items: Type.Array(item),
    total: Type.Integer({ description: 'rows matching the filters, ignoring limit and offset' }),
    limit: Type.Integer(),
    offset: Type.Integer(),
  }, { description })
}

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
export const Timestamp = Type.String({ description: 'ISO-8601 UTC, e.g. 2025-06-24T08:00:00.000Z' })
export const ParameterValue = Type.Union([Type.String(), Type.Integer(), Type.Boolean()])

/**
 * Workflow parameters as a client sends them: each value is checked against its workflow's definition by the
 * route (src/workflows/parameters.ts), every string in them by the validator (at most MAX_TEXT_LENGTH characters).
 */
export const ParametersInput = (description: string) => Type.Record(Type.String(), Type.Unknown(), {
  maxProperties: 100, description: `${description}; strings at most ${MAX_TEXT_LENGTH} characters`,
})
