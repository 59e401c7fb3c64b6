import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Db } from '../db/connect.js'
import { AppError } from '../errors.js'
import { isRevoked } from './revocations.js'
import { TokenError, VerifiedTokens, verifyToken, type Principal, type TokenKeys } from './token.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on every authenticated /api request; routes with `config: { auth: false }` leave it null. */
    principal: Principal | null
  }
  interface FastifyInstance {
    /**
     * Authenticates a raw request: `Authorization: Bearer <token>` or, when `allowQuery` (WebSocket
     * upgrades, where browsers cannot set headers), the sub-protocol `bearer.<token>` or a `token` query
     * parameter. Rejects with AppError unauthorized.
     */
    authenticate(request: FastifyRequest, options?: { allowQuery?: boolean }): Promise<Principal>
  }
  interface FastifyContextConfig {
    /** false: the route needs no bearer token (health, or a route that authenticates itself). */
    auth?: boolean
  }
}

export function bearerToken(request: FastifyRequest, allowQuery = false): string | null {
  const header = request.headers.authorization
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!match?.[1]) throw new AppError('unauthorized', 'Authorization header must be "Bearer <token>"')
    return match[1]
  }
  if (allowQuery) {
    // A WebSocket client may offer the token as the sub-protocol `bearer.<token>` (next to `topup.v1`).
    const offered = String(request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim())
      .find((p) => p.startsWith('bearer.') && p.length > 7)
    if (offered) return offered.slice(7)
    const token = (request.query as Record<string, unknown> | undefined)?.token
    if (typeof token === 'string' && token !== '') return token
  }
  return null
}

/**
 * Every route of the scope this is registered in (the app's /api scope) needs a valid bearer token unless its
 * route config says `auth: false`. A request no route matches is answered by the app's own 404 handler, outside
 * this scope, so it is a 404 with or without a token.
 */
export const authPlugin = fp(async (app: FastifyInstance, options: { keys: TokenKeys; db: Db }) => {
  app.decorateRequest('principal', null)
  const revoked = (jti: string) => isRevoked(options.db, jti)
  const cache = new VerifiedTokens()
  app.decorate('authenticate', async (request: FastifyRequest, opts: { allowQuery?: boolean } = {}): Promise<Principal> => {
    const token = bearerToken(request, opts.allowQuery)
    if (!token) throw new AppError('unauthorized', 'a bearer token is required (Authorization: Bearer <token>)')
    try {
      return await verifyToken(options.keys, token, { isRevoked: revoked, cache })
    } catch (error) {
      if (error instanceof TokenError) throw new AppError('unauthorized', error.message)
      throw error
    }
  })
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.auth === false) return
    request.principal = await app.authenticate(request)
  })
}, { name: 'topup-auth' })

/** The caller of a route that requires auth (the onRequest hook guarantees it is set). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'a bearer token is required')
  return request.principal
}
