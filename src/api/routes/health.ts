import { sql } from 'kysely'
import { Type } from 'typebox'
import { serviceVersion } from '../../version.js'
import { describeFault } from '../../db/storage-fault.js'
import type { WriteState } from '../../db/write-probe.js'
import { AppError } from '../../errors.js'
import type { RouteModule } from '../route-module.js'
import { problems } from '../schemas/common.js'

const startedAt = Date.now()

const HealthSchema = Type.Object({
  status: Type.Literal('ok'),
  database: Type.Literal('ok'),
  version: Type.String(),
  uptime_seconds: Type.Number(),
}, { examples: [{ status: 'ok', database: 'ok', version: '0.1.0', uptime_seconds: 12.3 }] })

/** Writes failing: storage_error when the storage says why (full, I/O, read-only), else service_unavailable. */
function writesFailing(state: Extract<WriteState, { ok: false }>): AppError {
  const why = state.fault ? describeFault(state.fault) : 'the database refuses changes'
  const advice = state.fault?.kind === 'full' ? '; free space on it' : ''
  return new AppError(state.fault ? 'storage_error' : 'service_unavailable',
    `database writes are failing since ${state.failingSince}: ${why}${advice}`,
    { extra: { database: 'writes_failing', failing_since: state.failingSince } })
}

export const healthRoutes: RouteModule = async (app, deps) => {
  const probe = deps.writeProbe
  app.get('/health', {
    config: { auth: false },
    schema: {
      tags: ['system'], summary: 'Health', operationId: 'getHealth', security: [],
      description: 'No token needed. 200 when the database answers and takes writes (a write probe runs every '
        + 'STORAGE_PROBE_SECONDS); 503 (problem+json) when it does not answer (`service_unavailable`) or its writes '
        + 'fail (`storage_error`: the disk is full, failing or read-only).',
      response: { 200: HealthSchema, ...problems('service_unavailable', 'storage_error') },
    },
  }, async () => {
    try {
      await sql`SELECT 1`.execute(deps.db)
    } catch {
      throw new AppError('service_unavailable', 'database unreachable')
    }
    const state = probe.state ?? await probe.probe()
    if (!state.ok) throw writesFailing(state)
    return { status: 'ok' as const, database: 'ok' as const, version: serviceVersion, uptime_seconds: (Date.now() - startedAt) / 1000 }
  })
}
