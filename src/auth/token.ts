import { createHmac, timingSafeEqual } from 'node:crypto'

export type Role = 'user' | 'admin'

/** Who is calling: the token's subject and role. */
export interface Principal {
  userId: string
  role: Role
}

export class TokenError extends Error {}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url')
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))

function signature(key: string, signingInput: string): Buffer {
  return createHmac('sha256', key).update(signingInput).digest()
}

/** Parses "24h", "90m", "30s", "7d" or plain seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim())
  if (!match) throw new TokenError(`invalid ttl "${text}": expected e.g. 30m, 24h, 7d`)
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd']
  const seconds = Number(match[1]) * unit
  if (seconds <= 0) throw new TokenError('ttl must be positive')
  return seconds
}

/** An HS256 JWT with `sub`, `user_id` (what the first implementation read), `role`, `iat`, `exp`. */
export function signToken(key: string, principal: Principal, ttlSeconds: number, now = Date.now()): string {
  const iat = Math.floor(now / 1000)
  const payload = b64url(JSON.stringify({
    sub: principal.userId, user_id: principal.userId, role: principal.role, iat, exp: iat + ttlSeconds,
  }))
  const input = `${HEADER}.${payload}`
  return `${input}.${b64url(signature(key, input))}`
}

/** Checks signature (constant time), algorithm, expiry and claims; throws TokenError with a safe message. */
export function verifyToken(key: string, token: string, now = Date.now()): Principal {
  const parts = token.split('.')
  if (parts.length !== 3) throw new TokenError('malformed token')
  const [header, payload, sig] = parts as [string, string, string]
  const expected = signature(key, `${header}.${payload}`)
  const given = Buffer.from(sig, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new TokenError('invalid token signature')
  const head = parseJson(header)
  if (head?.alg !== 'HS256') throw new TokenError('unsupported token algorithm')
  const claims = parseJson(payload)
  if (!claims) throw new TokenError('malformed token')
  const subject = typeof claims.sub === 'string' ? claims.sub : claims.user_id
  if (typeof subject !== 'string' || subject === '') throw new TokenError('token has no subject')
  if (typeof claims.exp !== 'number') throw new TokenError('token has no expiry')
  if (claims.exp * 1000 <= now) throw new TokenError('token expired')
  const role = claims.role ?? 'user'
  if (role !== 'user' && role !== 'admin') throw new TokenError('unknown role in token')
  return { userId: subject, role }
}

function parseJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : null
  } catch {
    return null
  }
}
