import type { Server } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../../errors.js'
import { listenForScrapes } from '../../metrics/metrics-listener.js'
import { scrapeAuthorized, scrapeRefusal } from '../../metrics/scrape-auth.js'
import type { RouteDeps } from '../deps.js'
import { problems } from '../schemas/common.js'

/**
 * GET /metrics (Prometheus text format), outside /api: Prometheus expects it there and scrapes with a static
 * token of its own, not a user's. Registered on the app's root (fastify-plugin), so that its timing hook sees
 * every request. Off (no route, no hook) unless METRICS_TOKEN or METRICS_PORT is set.
 */
export const metricsRoutes = fp(async (app: FastifyInstance, deps: RouteDeps) => {
  const { metrics, config } = deps
  if (!metrics) return
  app.addHook('onClose', async () => metrics.close())
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000)
  })

  const token = config.METRICS_TOKEN
  if (config.METRICS_PORT !== undefined) {
    let listener: Server | null = null
    // At ready, before the API listens: a port that cannot be had stops the start like PORT would.
    app.addHook('onReady', async () => {
      listener = await listenForScrapes(metrics, { host: config.METRICS_HOST, port: config.METRICS_PORT!, token })
      app.log.info({ host: config.METRICS_HOST, port: config.METRICS_PORT }, 'metrics listening')
    })
    app.addHook('onClose', async () => { await new Promise((resolve) => listener ? listener.close(resolve) : resolve(undefined)) })
    return
  }
  app.get('/metrics', {
    schema: {
      tags: ['system'], summary: 'Prometheus metrics', operationId: 'getMetrics', security: [{ bearer: [] }],
      description: 'Prometheus text format (docs/metrics.md). Needs `Authorization: Bearer <METRICS_TOKEN>`; '
        + 'served here only while METRICS_TOKEN is set and METRICS_PORT is not (otherwise on its own listener, or off).',
      response: problems('unauthorized', 'internal_error', 'service_unavailable'),
    },
  }, async (request, reply) => {
    if (!scrapeAuthorized(token, request.headers.authorization)) {
      throw new AppError('unauthorized', scrapeRefusal(request.headers.authorization))
    }
    let text: string
    try {
      text = await metrics.text()
    } catch {
      throw new AppError('service_unavailable', 'the metrics could not be collected (is the database reachable?)')
    }
    return reply.type(metrics.contentType).send(text)
  })
}, { name: 'topup-metrics' })
