import { AppError } from '../errors.js'

/** A query's time bound (an ISO 8601 date or date-time) as the UTC instant stored times compare with as text. */
export function isoBound(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined
  const time = Date.parse(value)
  if (Number.isNaN(time)) {
    throw new AppError('validation_failed', `querystring.${field} must be an ISO-8601 date or time`,
      { errors: [{ field: `querystring.${field}`, message: 'must be an ISO-8601 date or time' }] })
  }
  return new Date(time).toISOString()
}
