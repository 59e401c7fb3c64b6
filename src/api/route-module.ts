import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type {
  FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, RawReplyDefaultExpression, RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import type { RouteDeps } from './deps.js'

/** The app as route modules see it: TypeBox schemas type their handlers. */
export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression,
  FastifyBaseLogger, TypeBoxTypeProvider>

/**
 * A file of routes: an encapsulated plugin registered under the `/api` prefix with the deps as its options,
 * `export const fooRoutes: RouteModule = async (app, deps) => { app.get('/foo', …) }` serves GET /api/foo.
 */
export type RouteModule = FastifyPluginAsync<RouteDeps, RawServerDefault, TypeBoxTypeProvider>
