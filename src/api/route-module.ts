import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type {
  FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault,
} from 'fastify'
import type { AppDeps } from './deps.js'

/** The app as route modules see it: TypeBox schemas type their handlers. */
export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression,
  FastifyBaseLogger, TypeBoxTypeProvider>

/** A file of routes: `export const fooRoutes: RouteModule = async (app, deps) => { app.get(…) }`. */
export type RouteModule = (app: Api, deps: AppDeps) => void | Promise<void>
