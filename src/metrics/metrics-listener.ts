import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { problem, type ErrorCode } from '../errors.js'
import { listenError } from '../listen-check.js'
import type { ServiceMetrics } from './service-metrics.js'
import { scrapeAuthorized, scrapeRefusal } from './scrape-auth.js'

/**
 * METRICS_PORT: /metrics on a listener of its own (a port the firewall keeps for the Prometheus server), the
 * API's port then does not serve it. Answers GET /metrics only; anything else is a problem+json like the API's.
 */
export async function listenForScrapes(metrics: ServiceMetrics, options: { host: string; port: number; token?: string | undefined }): Promise<Server> {
  const server = createServer((request, response) => {
    const refuse = (code: ErrorCode, detail: string) => {
      const body = problem(code, detail)
      response.writeHead(body.status, { 'content-type': 'application/problem+json' }).end(JSON.stringify(body))
    }
    const path = (request.url ?? '').split('?')[0]
    if (path !== '/metrics') return refuse('route_not_found', `${path} is not served here; GET /metrics is`)
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse('method_not_allowed', 'only GET /metrics is served here')
    if (!scrapeAuthorized(options.token, request.headers.authorization)) {
      return refuse('unauthorized', scrapeRefusal(request.headers.authorization))
    }
    metrics.text().then((text) => {
      response.writeHead(200, { 'content-type': metrics.contentType }).end(request.method === 'HEAD' ? undefined : text)
    }, () => refuse('service_unavailable', 'the metrics could not be collected (is the database reachable?)'))
  })
  server.listen(options.port, options.host)
  // once(server, 'listening') rejects with the 'error' itself: the listen error is caught from it
  await once(server, 'listening').catch(async (error: unknown) => {
    throw await listenError(error, options.host, options.port, 'METRICS_PORT')
  })
  return server
}
