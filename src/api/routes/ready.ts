import { problem } from '../../errors.js'
import type { HostPoolState } from '../../remote/transport-provider.js'
import { sendProblem } from '../error-handler.js'
import type { RouteModule } from '../route-module.js'
import { problems } from '../schemas/common.js'
import { ReadySchema, type ReadyChecks } from '../schemas/ready.js'

const stateOf = (pool: HostPoolState) =>
  pool.down ? 'down' as const : pool.connected ? 'connected' as const : pool.consecutiveFailures > 0 ? 'failing' as const : 'idle' as const

/**
 * GET /api/ready: whether this instance should be sent work (a load balancer's or an orchestrator's readiness
 * probe); /api/health stays the liveness check. Ready means the database takes a write and a workflow is loaded.
 * Hosts are reported, not required: a host that is down pauses its tasks, and the page must stay reachable to
 * show that. No token, like /api/health, so it shows no error text, only kinds.
 */
export const readyRoutes: RouteModule = async (app, deps) => {
  app.get('/ready', {
    config: { auth: false },
    schema: {
      tags: ['system'], summary: 'Readiness', operationId: 'getReadiness', security: [],
      description: 'No token needed. 200 when the database takes a write and a workflow is loaded; otherwise 503 '
        + '(problem+json, code service_unavailable) with the same `checks`. Each SSH host\'s pool is reported either way.',
      response: { 200: ReadySchema, ...problems('service_unavailable') },
    },
  }, async (_request, reply) => {
    // a fresh probe: the one health reads may be STORAGE_PROBE_SECONDS old
    const database = (await deps.writeProbe.probe()).ok
    const all = deps.workflows.list()
    const checks: ReadyChecks = {
      database: { ok: database },
      workflows: { ok: all.length > 0, loaded: all.length, runnable: all.filter((w) => w.runnable).length },
      hosts: (deps.transports?.hostPools?.() ?? []).map((pool) => ({
        host: pool.host, state: stateOf(pool), channels_in_use: pool.channelsInUse, channels_queued: pool.channelsQueued,
        max_sessions: pool.maxSessions, consecutive_failures: pool.consecutiveFailures, last_error_kind: pool.lastError?.kind ?? null,
      })),
    }
    if (checks.database.ok && checks.workflows.ok) return { status: 'ready' as const, checks }
    const failing = [
      ...(checks.database.ok ? [] : ['the database does not take a write']),
      ...(checks.workflows.ok ? [] : ['no workflow is loaded (WORKFLOWS_DIR)']),
    ]
    // Sent here, not thrown: a 503 of the error handler would drop the checks and log an error per probe.
    return sendProblem(reply, { ...problem('service_unavailable', `not ready: ${failing.join('; ')}`), checks })
  })
}
