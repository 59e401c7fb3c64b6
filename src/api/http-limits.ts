import type { ServerOptions } from 'node:http'
import type { FastifyServerOptions, RouteOptions } from 'fastify'
import type { Config } from '../config.js'

/**
 * What one connection or request may cost the server, set on purpose rather than left to Node's and Fastify's
 * defaults. The timeouts bound what a client sends (a slow or silent client cannot hold a connection), never how
 * long the answer takes: listing a round's days over SSH or streaming a large artifact may take long.
 */

/** A body with fields: far above any real request (a few parameters), room for several MAX_TEXT_LENGTH strings. */
export const BODY_LIMIT_BYTES = 256 * 1024
/** start, pause, cancel and routes that read no body: `{}` or nothing. */
export const EMPTY_BODY_LIMIT_BYTES = 1024
/** Node's default, stated: a bearer token is a few hundred bytes. */
export const MAX_HEADER_BYTES = 16 * 1024

export function serverLimits(config: Pick<Config, 'HTTP_HEADERS_TIMEOUT_SECONDS' | 'HTTP_REQUEST_TIMEOUT_SECONDS' | 'HTTP_KEEP_ALIVE_SECONDS'>):
  Pick<FastifyServerOptions, 'bodyLimit' | 'requestTimeout' | 'keepAliveTimeout' | 'connectionTimeout'> & { http: ServerOptions } {
  const headersTimeout = Math.round(config.HTTP_HEADERS_TIMEOUT_SECONDS * 1000)
  const requestTimeout = Math.round(config.HTTP_REQUEST_TIMEOUT_SECONDS * 1000)
  return {
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout,
    keepAliveTimeout: Math.round(config.HTTP_KEEP_ALIVE_SECONDS * 1000),
    // No idle timeout on a socket whose request has arrived: the answer may be slow (see above).
    connectionTimeout: 0,
    http: {
      headersTimeout, requestTimeout, maxHeaderSize: MAX_HEADER_BYTES,
      // Node checks the two timeouts on this interval (30 s by default, which would stretch a 15 s limit to 45 s).
      connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.round(headersTimeout / 3))),
    },
  }
}

/** The body schema declares fields (a create or resume body), as opposed to `{}` or no body at all. */
function takesFields(schema: unknown): boolean {
  const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties
  return properties !== undefined && Object.keys(properties).length > 0
}

/** An onRoute hook: each route's body limit from what its body may hold, unless the route sets its own. */
export function limitBody(route: RouteOptions): void {
  route.bodyLimit ??= takesFields(route.schema?.body) ? BODY_LIMIT_BYTES : EMPTY_BODY_LIMIT_BYTES
}
