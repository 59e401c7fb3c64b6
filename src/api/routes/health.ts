import { sql } from 'kysely'
import { Type } from 'typebox'
import { serviceVersion } from '../../version.js'
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

export const healthRoutes: RouteModule = async (app, deps) => {
  app.get('/health', {
    config: { auth: false },
    schema: {
      tags: ['system'], summary: 'Health', security: [],
      description: 'No token needed. 200 when the database answers, 503 (problem+json) when it does not.',
      response: { 200: HealthSchema, ...problems(503) },
    },
  }, async () => {
    try {
      await sql`SELECT 1`.execute(deps.db)
    } catch {
      throw new AppError('service_unavailable', 'database unreachable')
    }
    return { status: 'ok' as const, database: 'ok' as const, version: serviceVersion, uptime_seconds: (Date.now() - startedAt) / 1000 }
  })
}
