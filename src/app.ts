import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyHelmet from '@fastify/helmet'
import fastifyStatic from '@fastify/static'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import fastifyWebsocket from '@fastify/websocket'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify from 'fastify'
import { routeDeps, type AppDeps } from './api/deps.js'
import { handleError, registerErrorHandlers } from './api/error-handler.js'
import { limitBody, serverLimits } from './api/http-limits.js'
import { serverOptions as websocketOptions } from './api/live/protocol.js'
import { metricsRoutes } from './api/routes/metrics.js'
import { routeModules } from './api/routes/index.js'
import type { Api } from './api/route-module.js'
import { documentObject, documentRoute } from './api/openapi-document.js'
import { wsMessageSchemas } from './api/openapi-websocket.js'
import { ProblemSchema } from './api/schemas/common.js'
import { docsPolicy, securityHeaders } from './api/security-headers.js'
import { refuseUndeclaredQuery, validatorCompiler } from './api/validator.js'
import { authPlugin } from './auth/plugin.js'
import { tokenKeys } from './auth/secret.js'
import { pageModuleRoutes } from './page-modules.js'
import { serviceVersion } from './version.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const publicDir = resolve(root, 'public')
const requestIdPattern = /^[A-Za-z0-9._-]{1,64}$/

/** The whole HTTP app, not listening: tests inject requests, server.ts listens. */
export async function buildApp(deps: AppDeps): Promise<Api> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    ...serverLimits(deps.config),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID()
    },
    // Bad URLs (broken percent-encoding, over-long path parameters) are answered before routing: problem+json too.
    frameworkErrors: handleError,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as Api

  app.setValidatorCompiler(validatorCompiler)

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  registerErrorHandlers(app)
  app.addSchema(ProblemSchema)
  const indexHtml = readFileSync(resolve(publicDir, 'index.html'), 'utf8')
  await app.register(fastifyHelmet, securityHeaders(indexHtml))

  await app.register(fastifySwagger, {
    // Shared schemas appear under components.schemas by their $id (e.g. Problem), not as def-0.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Topup API',
        description: 'Runs the daily Topup calibration workflows of BESIII at IHEP and keeps their record. '
          + 'Every /api route except /api/health needs `Authorization: Bearer <token>` (`npm run token -- --user <name>`). '
          + 'Errors are RFC 9457 problem+json (`application/problem+json`, components/schemas/Problem), each with a stable '
          + '`code`; every operation lists the statuses it can answer, with an example of each code (408 and 431 come '
          + 'from Node, without a body). An unknown path, or a path value that makes the URL another one, is 404 '
          + '`route_not_found`. The WebSocket GET /api/ws is described by its operation and components/schemas/Ws*.',
        version: serviceVersion,
      },
      tags: [
        { name: 'tasks', description: 'Create and inspect tasks (one run of a workflow)' },
        { name: 'workflows', description: 'Workflow definitions and parameter checks' },
        { name: 'logs', description: 'Task log lines' },
        { name: 'executions', description: 'Step attempts and their outputs' },
        { name: 'jobs', description: 'Cluster jobs the steps submitted, as the batch system reports them' },
        { name: 'artifacts', description: 'Files brought back by download steps' },
        { name: 'days', description: 'The days of a round on the site, with the service\'s record of each' },
        { name: 'schedules', description: 'The schedules of SCHEDULES_FILE and their firings' },
        { name: 'audit', description: 'Who did what: every lifecycle action and who asked for it (admins)' },
        { name: 'notifications', description: 'Notification channels, each user\'s choices, and what was delivered' },
        { name: 'system', description: 'Health, readiness and metrics' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas: wsMessageSchemas },
      security: [{ bearer: [] }],
    },
    transform: documentRoute,
    transformObject: documentObject,
  })
  const keys = deps.secretKey ? { current: deps.secretKey, source: 'SECRET_KEY' }
    : tokenKeys(deps.config, (message, file) => deps.logger?.info({ file }, message))
  const routes = routeDeps(deps, keys.current, app.log)
  app.addHook('onReady', async () => routes.writeProbe.start())
  app.addHook('onClose', async () => routes.writeProbe.stop())
  // Before any route (its request timing hook applies to those registered after it), after swagger (which lists it).
  await app.register(metricsRoutes, routes)
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: docsPolicy(indexHtml) })
  await app.register(fastifyStatic, { root: publicDir, prefix: '/', wildcard: false })
  await app.register(pageModuleRoutes)
  // Upgrade requests arrive on the HTTP server as a whole and are routed like any request; only /api/ws accepts
  // one (an API route that does not closes the socket), so the plugin sits here, registered before the API.
  await app.register(fastifyWebsocket, { options: websocketOptions })

  // One /api scope: the token check is its hook, so nothing outside it (docs, static files) is affected, and a route
  // inside it cannot be reached around it, whatever the spelling of its URL.
  await app.register(async (api) => {
    api.addHook('onRoute', refuseUndeclaredQuery)
    api.addHook('onRoute', limitBody)
    await api.register(authPlugin, { keys, db: deps.db })
    for (const routeModule of routeModules) await api.register(routeModule, routes)
  }, { prefix: '/api' })
  return app
}
