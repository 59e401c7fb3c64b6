import t from 'tap'
import type { InjectOptions } from 'fastify'
import { buildTestApp, sharedByFile } from '../helpers/app.js'

const problemType = 'application/problem+json; charset=utf-8'

// One app for the tests that change nothing; the 5xx test breaks its own.
const shared = sharedByFile(t, () => buildTestApp(t))

t.test('bad requests are 4xx problem+json, never 5xx', async (t) => {
  const { app, authFor } = shared()
  const auth = authFor('alice')
  const json = { ...auth, 'content-type': 'application/json' }
  const cases: [string, InjectOptions, number, string][] = [
    ['malformed JSON', { method: 'POST', url: '/api/tasks', headers: json, payload: '{"workflow_name": ' }, 400, 'malformed_body'],
    ['empty JSON body', { method: 'POST', url: '/api/tasks', headers: json, payload: '' }, 400, 'malformed_body'],
    ['a JSON array', { method: 'POST', url: '/api/tasks', headers: json, payload: '[]' }, 400, 'validation_failed'],
    ['wrong content type', { method: 'POST', url: '/api/tasks', headers: { ...auth, 'content-type': 'text/csv' }, payload: 'a,b' }, 415, 'unsupported_media_type'],
    ['oversized body', { method: 'POST', url: '/api/tasks', headers: json, payload: JSON.stringify({ workflow_name: 'x'.repeat(2 * 1024 * 1024) }) }, 413, 'payload_too_large'],
    ['negative limit', { url: '/api/tasks?limit=-1', headers: auth }, 400, 'validation_failed'],
    ['huge limit', { url: '/api/tasks?limit=100000000000000000000', headers: auth }, 400, 'validation_failed'],
    ['limit over the cap', { url: '/api/tasks?limit=501', headers: auth }, 400, 'validation_failed'],
    ['non-numeric limit', { url: '/api/tasks?limit=ten', headers: auth }, 400, 'validation_failed'],
    ['negative offset', { url: '/api/tasks?offset=-5', headers: auth }, 400, 'validation_failed'],
    ['unknown status', { url: '/api/tasks?status=exploded', headers: auth }, 400, 'validation_failed'],
    ['non-numeric id', { url: '/api/tasks/abc', headers: auth }, 400, 'validation_failed'],
    ['zero id', { url: '/api/tasks/0', headers: auth }, 400, 'validation_failed'],
    ['huge id', { url: '/api/tasks/99999999999999999999999', headers: auth }, 400, 'validation_failed'],
    ['fractional id', { url: '/api/executions/1.5/outputs', headers: auth }, 400, 'validation_failed'],
    ['unknown log level', { url: '/api/logs?level=loud', headers: auth }, 400, 'validation_failed'],
    ['bad cursor', { url: '/api/tasks/1/logs?after=-1', headers: auth }, 400, 'validation_failed'],
    ['unknown route', { url: '/api/nothing-here', headers: auth }, 404, 'route_not_found'],
    ['unknown route without token', { url: '/nothing-here' }, 404, 'route_not_found'],
    ['unknown /api route without token', { url: '/api/nothing-here' }, 404, 'route_not_found'],
    ['wrong method', { method: 'DELETE', url: '/api/workflows', headers: auth }, 404, 'route_not_found'],
  ]
  for (const [what, request, status, code] of cases) {
    const res = await app.inject(request)
    t.equal(res.statusCode, status, `${what}: ${res.body.slice(0, 200)}`)
    t.equal(res.headers['content-type'], problemType, what)
    const body = res.json()
    t.match(body, { type: /^https:\/\//, title: String, status, detail: String, code }, what)
  }
})

t.test('validation errors name their fields', async (t) => {
  const { app, authFor } = shared()
  const res = await app.inject({ url: '/api/tasks?limit=0&offset=-1', headers: authFor('alice') })
  t.equal(res.statusCode, 400)
  const fields = res.json().errors.map((e: { field: string }) => e.field).sort()
  t.same(fields, ['querystring.limit', 'querystring.offset'])
  const body = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('alice'), payload: { task_name: 5 } })
  t.match(body.json(), { code: 'validation_failed', errors: [{ field: 'body.workflow_name', message: /required/ }] })
})

t.test('5xx bodies never show internals', async (t) => {
  const { app, db, authFor } = await buildTestApp(t)
  app.get('/api/boom', async () => {
    throw new Error('SQLITE_CORRUPT at /secret/path/topup.db')
  })
  const boom = await app.inject({ url: '/api/boom', headers: authFor('alice') })
  t.equal(boom.statusCode, 500)
  t.equal(boom.headers['content-type'], problemType)
  t.match(boom.json(), { code: 'internal_error', status: 500 })
  t.notMatch(boom.body, /SQLITE|secret|stack/)
  t.match(boom.json().detail, boom.headers['x-request-id'] as string, 'the detail gives the request id to quote')

  await db.destroy()
  const tasks = await app.inject({ url: '/api/tasks', headers: authFor('alice') })
  t.equal(tasks.statusCode, 500)
  t.notMatch(tasks.body, /kysely|driver|destroy/i)
  const health = await app.inject({ url: '/api/health' })
  t.equal(health.statusCode, 503)
  t.match(health.json(), { code: 'service_unavailable', detail: /database unreachable/ })
})

t.test('request ids', async (t) => {
  const { app } = shared()
  const given = await app.inject({ url: '/api/health', headers: { 'x-request-id': 'abc-123' } })
  t.equal(given.headers['x-request-id'], 'abc-123')
  const odd = await app.inject({ url: '/api/health', headers: { 'x-request-id': 'no spaces\nor newlines' } })
  t.match(odd.headers['x-request-id'], /^[0-9a-f-]{36}$/)
})
