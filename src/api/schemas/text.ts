import { Type } from 'typebox'

/**
 * What every string of a request must be, whatever its field: the validator (src/api/validator.ts) checks each
 * string it finds in a body, query or path, also inside free-form records such as task parameters, so no route
 * can forget it. NUL ends a C string and lone UTF-16 surrogates cannot be written as UTF-8: neither belongs in
 * a name, a parameter or a command line. The length bound keeps a value well below what a command line takes
 * (a 200 kB parameter would otherwise fail only when its step spawns, with E2BIG).
 */
export const MAX_TEXT_LENGTH = 10_000

// With the u flag a surrogate pair is one code point: only a lone surrogate is of category Cs.
const loneSurrogate = /\p{Cs}/u

/** Why `text` may not be a request string, or null when it may. */
export function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL bytes (\\u0000)'
  if (loneSurrogate.test(text)) return 'must be valid Unicode text (it holds a lone UTF-16 surrogate)'
  if (text.length > MAX_TEXT_LENGTH) return `must be at most ${MAX_TEXT_LENGTH} characters`
  return null
}

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/
const isoDateTime = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/

function isRealDay(text: string): boolean {
  const match = isoDate.exec(text)
  if (!match) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/**
 * The string formats request schemas use, each with the message a client gets: the validator registers them
 * with Ajv. A date-time must say its offset: without one it would be read in the server's time zone.
 */
export const textFormats: Record<string, { test: (text: string) => boolean; message: string }> = {
  'date-or-date-time': {
    test: (text) => isRealDay(text) || (isoDateTime.test(text) && isRealDay(isoDateTime.exec(text)![1]!)),
    message: 'must be an ISO 8601 date (2025-06-24) or date-time with Z or an offset (2025-06-24T08:00:00Z, 2025-06-24T10:00+02:00)',
  },
}

/** A query bound in time: an ISO 8601 date (midnight UTC) or a date-time with its offset. */
export const DateOrDateTime = (description: string) => Type.String({
  format: 'date-or-date-time', maxLength: 40,
  description: `${description}: an ISO 8601 date (2025-06-24, midnight UTC) or date-time with Z or an offset (2025-06-24T08:00:00Z)`,
})
