import { createHash, timingSafeEqual } from 'node:crypto'

const digest = (text: string) => createHash('sha256').update(text).digest()

/**
 * Whether an Authorization header carries METRICS_TOKEN as its bearer token (no token configured: any header
 * is fine). Compared as digests in constant time, so neither the token nor its length leaks through timing.
 */
export function scrapeAuthorized(token: string | undefined, authorization: string | undefined): boolean {
  if (token === undefined) return true
  const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1]
  return given !== undefined && timingSafeEqual(digest(given), digest(token))
}

/** What a refused scrape is told. */
export const scrapeRefusal = (authorization: string | undefined) => authorization === undefined
  ? 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>'
  : 'Authorization must be "Bearer <METRICS_TOKEN>"'
