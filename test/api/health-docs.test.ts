import t from 'tap'
import { logLevels, taskStatuses } from '../../src/domain.js'
import { buildTestApp, sharedByFile } from '../helpers/app.js'

const shared = sharedByFile(t, () => buildTestApp(t))

t.test('GET /api/health', async (t) => {
  const { app } = shared()
  const res = await app.inject({ url: '/api/health' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'ok', database: 'ok', version: /^\d+\.\d+\.\d+/, uptime_seconds: Number })
})

t.test('OpenAPI document: every API route, tagged, described, with its schemas', async (t) => {
  const { app } = shared()
  const res = await app.inject({ url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const doc = res.json()
  const expected = [
    'get /api/health', 'post /api/tasks', 'get /api/tasks', 'get /api/tasks/{id}', 'get /api/tasks/{id}/logs',
    'get /api/tasks/{id}/progress', 'get /api/tasks/{id}/executions', 'get /api/executions/{id}/outputs',
    'get /api/logs', 'get /api/workflows', 'get /api/workflows/{workflow_name}', 'post /api/workflows/{workflow_name}/validate',
  ]
  for (const key of expected) {
    const [method, path] = key.split(' ') as [string, string]
    const op = doc.paths[path]?.[method]
    t.ok(op, `${key} is documented`)
    if (!op) continue
    t.ok(op.tags?.length, `${key} is tagged`)
    t.ok(op.description, `${key} is described`)
    t.ok(op.responses['200'] ?? op.responses['201'], `${key} documents its success response`)
  }
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { tags?: string[] }>>)) {
    if (!path.startsWith('/api')) continue
    for (const [method, op] of Object.entries(ops)) t.ok(op.tags?.length, `${method} ${path} is tagged`)
  }
  t.ok(doc.paths['/api/tasks'].post.requestBody.content['application/json'].schema.properties.parameters)
  t.same(doc.paths['/api/health'].get.security, [], 'health needs no token')
  t.ok(doc.components.securitySchemes.bearer)
  const ui = await app.inject({ url: '/docs' })
  t.ok(ui.statusCode === 200 || ui.statusCode === 302, 'the UI answers')
})

t.test('OpenAPI document: the domain\'s values are enums, every error is the one Problem schema', async (t) => {
  const { app } = shared()
  const doc = (await app.inject({ url: '/docs/json' })).json()
  const body = (path: string, method = 'get', status = '200') => doc.paths[path][method].responses[status].content['application/json'].schema
  t.same(body('/api/tasks/{id}').properties.status.enum, taskStatuses, 'a task\'s status lists its values')
  t.same(body('/api/tasks').properties.items.items.properties.status.enum, taskStatuses, 'so does each task of a list')
  const query = (path: string, name: string) => doc.paths[path].get.parameters.find((p: { name: string }) => p.name === name).schema
  t.same(query('/api/tasks', 'status').enum, taskStatuses, 'the list filter takes the same values')
  t.same(query('/api/logs', 'level').enum, logLevels)
  t.ok(doc.components.schemas.Problem?.properties?.code, 'Problem is listed once, under components')
  const operationIds: string[] = []
  type Media = { schema: unknown; examples?: Record<string, { value: { status: number; code: string } }> }
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { operationId?: string; security?: unknown[]; responses: Record<string, { content?: Record<string, Media> }> }>>)) {
    for (const [method, op] of Object.entries(ops)) {
      t.ok(op.operationId, `${method} ${path} has an operationId`)
      operationIds.push(op.operationId ?? '')
      // 408 and 431 are Node's, before any route, without a body.
      const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400 && !['408', '431'].includes(status))
      t.ok(errors.length > 0, `${method} ${path} documents its errors`)
      if (op.security?.length !== 0) t.ok(op.responses['401'], `${method} ${path} documents 401`)
      for (const [status, response] of errors) {
        const media = response.content?.['application/problem+json']
        t.same(Object.keys(response.content ?? {}), ['application/problem+json'], `${method} ${path} ${status} is problem+json`)
        t.same(media?.schema, { $ref: '#/components/schemas/Problem' }, `${method} ${path} ${status} is a Problem`)
        const examples = Object.entries(media?.examples ?? {})
        t.ok(examples.length > 0 && examples.every(([code, e]) => e.value.code === code && e.value.status === Number(status)),
          `${method} ${path} ${status} has an example of each of its codes`)
      }
    }
  }
  t.equal(new Set(operationIds).size, operationIds.length, 'operationIds are unique')
})

t.test('public/ at /', async (t) => {
  const { app } = shared()
  const res = await app.inject({ url: '/' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/html/)
  t.match(res.body, /Topup/)
})
