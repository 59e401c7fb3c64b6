import { createHmac, randomUUID } from 'node:crypto'
import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose'
import { LruMap } from '../lru-map.js'

export type Role = 'user' | 'admin'

/** Who is calling: the token's subject and role. */
export interface Principal {
  userId: string
  role: Role
}

/** The keys a token may be signed with, and where the current one comes from (for the message of a bad signature). */
export interface TokenKeys {
  current: string
  /** SECRET_KEY_PREVIOUS: during a change of key, tokens it signed are still accepted. */
  previous?: string
  /** `SECRET_KEY` or `DATA_DIR/secret.key`. */
  source: string
}

export interface VerifyOptions {
  now?: number
  /** Whether the token id (`jti`) was revoked; a token without one cannot be (it predates revocation). */
  isRevoked?: (jti: string) => Promise<boolean>
  /** Tokens already checked, to skip the signature and claim checks of a token seen before. */
  cache?: VerifiedTokens
}

/** What checking a token found: who it names, its id, and until when it is valid. */
interface CheckedToken {
  principal: Principal
  jti: string | undefined
  /** The first instant (ms) at which it counts as expired: exp plus the tolerance, as jose reckons it. */
  expiredAtMs: number
}

/**
 * Tokens whose signature and claims were checked, until they expire. A client sends the same token with every
 * request, and the HMAC and claim checks were a tenth of a task GET. Only tokens that passed are kept (at most
 * `capacity`, the least recently used dropped first); what may change after the check — revocation — is still
 * asked every time, and nbf and iat only become truer as time goes on.
 */
export class VerifiedTokens {
  private readonly entries: LruMap<string, CheckedToken>

  constructor(capacity = 1000) {
    this.entries = new LruMap(capacity)
  }

  get(token: string, now: number): CheckedToken | undefined {
    const entry = this.entries.get(token)
    if (entry && now < entry.expiredAtMs) return entry
    if (entry) this.entries.delete(token)
    return undefined
  }

  add(token: string, checked: CheckedToken): void {
    this.entries.set(token, checked)
  }
}

export class TokenError extends Error {}

/** How far the server's clock may be behind the issuer's (nbf, iat) or ahead of it (exp). */
export const CLOCK_TOLERANCE_SECONDS = 30

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url')
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))

/** Parses "24h", "90m", "30s", "7d" or plain seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim())
  if (!match) throw new TokenError(`invalid ttl "${text}": expected e.g. 30m, 24h, 7d`)
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd']
  const seconds = Number(match[1]) * unit
  if (seconds <= 0) throw new TokenError('ttl must be positive')
  return seconds
}

/**
 * An HS256 JWT with `sub`, `user_id` (what the first implementation read), `role`, `iat`, `exp` and a random `jti`
 * (what --revoke names). Signing stays synchronous (one HMAC) so that tests and the CLI can mint tokens inline;
 * verification, where the care is, goes through jose.
 */
export function signToken(key: string, principal: Principal, ttlSeconds: number, now = Date.now()): string {
  const iat = Math.floor(now / 1000)
  const payload = b64url(JSON.stringify({
    sub: principal.userId, user_id: principal.userId, role: principal.role, iat, exp: iat + ttlSeconds, jti: randomUUID(),
  }))
  const input = `${HEADER}.${payload}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

const jtiPattern = /^[A-Za-z0-9_-]{1,128}$/

/** The id and expiry of a token, read without checking it (to revoke a token one has); or a bare id, checked for form. */
export function tokenIdentity(tokenOrId: string): { jti: string; expiresAt: string | null } {
  if (!tokenOrId.includes('.')) {
    if (!jtiPattern.test(tokenOrId)) throw new TokenError(`"${tokenOrId}" is neither a token nor a token id (jti)`)
    return { jti: tokenOrId, expiresAt: null }
  }
  let claims: JWTPayload
  try {
    claims = decodeJwt(tokenOrId)
  } catch {
    throw new TokenError('malformed token')
  }
  if (typeof claims.jti !== 'string' || !jtiPattern.test(claims.jti)) {
    throw new TokenError('this token has no id (jti), so it cannot be revoked alone: change SECRET_KEY to withdraw every token')
  }
  return { jti: claims.jti, expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : null }
}

async function verified(key: string, token: string, now: number): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(key), {
    algorithms: ['HS256'], requiredClaims: ['exp'], clockTolerance: CLOCK_TOLERANCE_SECONDS, currentDate: new Date(now),
  })
  return payload
}

/** jose's refusal → a message safe to send to the client. */
function reason(error: unknown, keys: TokenKeys): TokenError | null {
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenError(`invalid token signature: the token was not signed with this server's key (${keys.source}); `
      + 'ask for a new token')
  }
  if (error instanceof errors.JWTExpired) return new TokenError('token expired')
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenError('unsupported token algorithm (HS256 only)')
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp' && error.reason === 'missing') return new TokenError('token has no expiry')
    if (error.claim === 'nbf') return new TokenError('token not valid yet (nbf is in the future)')
    return new TokenError(`invalid token claim ${error.claim}`)
  }
  if (error instanceof errors.JOSEError) return new TokenError('malformed token')
  return null
}

/**
 * Checks signature (HS256 only, with the current key and then SECRET_KEY_PREVIOUS), exp, nbf and iat (each with
 * CLOCK_TOLERANCE_SECONDS), the claims and revocation; throws TokenError with a safe message.
 */
export async function verifyToken(keys: TokenKeys | string, token: string, options: VerifyOptions = {}): Promise<Principal> {
  const keySet: TokenKeys = typeof keys === 'string' ? { current: keys, source: 'SECRET_KEY' } : keys
  const now = options.now ?? Date.now()
  const checked = options.cache?.get(token, now) ?? await checkToken(keySet, token, now)
  options.cache?.add(token, checked)
  if (checked.jti !== undefined && options.isRevoked && await options.isRevoked(checked.jti)) {
    throw new TokenError('token revoked: ask for a new token')
  }
  return checked.principal
}

/** Everything verifyToken checks but revocation. */
async function checkToken(keySet: TokenKeys, token: string, now: number): Promise<CheckedToken> {
  let claims: JWTPayload
  try {
    claims = await verified(keySet.current, token, now).catch((error: unknown) => {
      if (error instanceof errors.JWSSignatureVerificationFailed && keySet.previous) return verified(keySet.previous, token, now)
      throw error
    })
  } catch (error) {
    throw reason(error, keySet) ?? error
  }
  // jose checks iat only with maxTokenAge, which would also make iat required (the first tokens had none).
  if (typeof claims.iat === 'number' && claims.iat > now / 1000 + CLOCK_TOLERANCE_SECONDS) {
    throw new TokenError('token issued in the future (iat): check the clocks of this server and of the issuer')
  }
  const subject = typeof claims.sub === 'string' ? claims.sub : claims.user_id
  if (typeof subject !== 'string' || subject === '') throw new TokenError('token has no subject')
  const role = claims.role ?? 'user'
  if (role !== 'user' && role !== 'admin') throw new TokenError('unknown role in token')
  // requiredClaims made exp a number
  const expiredAtMs = (claims.exp! + CLOCK_TOLERANCE_SECONDS) * 1000
  return { principal: { userId: subject, role }, jti: typeof claims.jti === 'string' ? claims.jti : undefined, expiredAtMs }
}
