import t, { type Test } from 'tap'
import { MAX_TEXT_LENGTH } from '../../src/api/schemas/text.js'
import { buildTestApp, sharedByFile } from '../helpers/app.js'

/** What no request string may hold, wherever it sits, and what the validation messages say. */

const shared = sharedByFile(t, () => buildTestApp(t))

interface Answer { statusCode: number; json(): { code?: string; detail?: string; errors?: { field: string; message: string }[] } }

function refused(t: Test, res: Answer, field: string, message: RegExp, what: string): void {
  t.equal(res.statusCode, 400, `${what}: 400`)
  const body = res.json()
  t.equal(body.code, 'validation_failed', `${what}: validation_failed`)
  t.match(body.errors, [{ field, message }], `${what}: names ${field}`)
  t.match(body.detail, field, `${what}: the detail names the field`)
}

const create = { workflow_name: 'topup_standard_workflow', parameters: { date_param: '250624' } }
const bad: [string, string, RegExp][] = [
  ['a NUL byte', 'a\u0000b', /NUL/],
  ['a lone high surrogate', 'a\ud800b', /surrogate/],
  ['a lone low surrogate', '\udc00', /surrogate/],
  ['200 kB', 'x'.repeat(200_000), new RegExp(`at most ${MAX_TEXT_LENGTH} characters`)],
]

t.test('every body string refuses NUL, lone surrogates and over-long text, naming the field', async (t) => {
  const { app, authFor } = shared()
  const headers = { ...authFor('alice'), 'content-type': 'application/json' }
  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, headers, payload: JSON.stringify(payload) })
  for (const [what, text] of bad) {
    refused(t, await post('/api/tasks', { ...create, task_name: text }), 'body.task_name', /./, `task_name with ${what}`)
    refused(t, await post('/api/tasks', { ...create, user_id: text }), 'body.user_id', /./, `user_id with ${what}`)
    refused(t, await post('/api/tasks', { ...create, parameters: { date_param: text } }), 'body.parameters.date_param', /./, `a parameter with ${what}`)
    refused(t, await post('/api/tasks/1/resume', { parameters: { round: text } }), 'body.parameters.round', /./, `a resume parameter with ${what}`)
    refused(t, await post('/api/workflows/topup_standard_workflow/validate', { parameters: { date_param: text } }),
      'body.parameters.date_param', /./, `a parameter to validate with ${what}`)
  }
  refused(t, await post('/api/tasks', { ...create, parameters: { 'date\u0000param': '250624' } }), 'body.parameters', /field name.*NUL/,
    'a parameter name with NUL')
  refused(t, await post('/api/tasks', { ...create, parameters: { date_param: '250624', list: ['ok', 'a\u0000'] } }),
    'body.parameters.list.1', /NUL/, 'a NUL inside a list')
  const negativeZero = await app.inject({ method: 'POST', url: '/api/tasks', headers,
    payload: '{"workflow_name": "topup_standard_workflow", "parameters": {"date_param": "250624", "max_wait_minutes": -0}}' })
  refused(t, negativeZero, 'body.parameters.max_wait_minutes', /-0/, '-0 in a body')
  const valid = await post('/api/tasks', { ...create, task_name: 'ünïcødé 任务 😀 ok' })
  t.equal(valid.statusCode, 201, 'text with pairs of surrogates (emoji) and other scripts is fine')
  t.equal(valid.json().task_name, 'ünïcødé 任务 😀 ok')
  const total = (await app.inject({ url: '/api/tasks', headers })).json().total
  t.equal(total, 1, 'no refused request created a task')
})

t.test('query and path strings are checked the same way', async (t) => {
  const { app, authFor } = shared()
  const headers = authFor('alice', 'admin')
  const get = (url: string) => app.inject({ url, headers })
  refused(t, await get('/api/tasks?user_id=a%00b'), 'querystring.user_id', /NUL/, 'user_id with NUL')
  refused(t, await get('/api/workflows/a%00b'), 'params.workflow_name', /NUL/, 'a path value with NUL')
  refused(t, await get(`/api/tasks?${'x'.repeat(20_000)}=1`), 'querystring', /field name.*at most/, 'a 20 kB query name')
})

t.test('unknown query parameters are refused, naming them and the known ones', async (t) => {
  const { app, authFor } = shared()
  const get = (url: string) => app.inject({ url, headers: authFor('alice') })
  refused(t, await get('/api/tasks?staus=running'), 'querystring.staus', /not a known query parameter \(known: user_id, status, /, 'a typo')
  refused(t, await get('/api/tasks/1?verbose=1'), 'querystring.verbose', /none here/, 'a route with no query parameters')
  t.equal((await get('/api/tasks?status=running')).statusCode, 200, 'a known one is fine')
})

t.test('an unknown body field is named', async (t) => {
  const { app, authFor } = shared()
  const res = await app.inject({ method: 'POST', url: '/api/tasks', headers: authFor('alice'), payload: { ...create, strat: true } })
  refused(t, res, 'body.strat', /not a known field \(known: user_id, workflow_name, task_name, parameters, start\)/, 'a typo of start')
})

t.test('enums list their values once', async (t) => {
  const { app, authFor } = shared()
  const res = await app.inject({ url: '/api/tasks?status=runing', headers: authFor('alice') })
  refused(t, res, 'querystring.status', /^must be one of: pending, queued, running, pausing, paused, cancelling, cancelled, success, failed$/, 'a bad status')
  t.equal(res.json().errors?.length, 1, 'one error, not one per value')
  const level = await app.inject({ url: '/api/logs?level=verbose', headers: authFor('alice') })
  refused(t, level, 'querystring.level', /one of: debug, info, warning, error/, 'a bad level')
})

t.test('created_after and created_before take ISO 8601 dates and date-times only', async (t) => {
  const { app, authFor } = shared()
  const get = (query: string) => app.inject({ url: `/api/tasks?${query}`, headers: authFor('alice') })
  for (const value of ['250624', '2025-6-24', '2025-02-30', '2025-06-24T08:00', '2025-06-24 08:00:00Z', 'yesterday', '1750752000000', '+250624-01-01']) {
    refused(t, await get(`created_after=${encodeURIComponent(value)}`), 'querystring.created_after', /ISO 8601 date \(2025-06-24\) or date-time/, value)
  }
  for (const value of ['2025-06-24', '2025-06-24T08:00Z', '2025-06-24T08:00:00.123Z', '2025-06-24T10:00:00+02:00', '2024-02-29']) {
    t.equal((await get(`created_before=${encodeURIComponent(value)}`)).statusCode, 200, `${value} is accepted`)
  }
})

t.test('-0 is not a number in a query', async (t) => {
  const { app, authFor } = shared()
  for (const value of ['-0', '-00', '-0.0']) {
    refused(t, await app.inject({ url: `/api/tasks?offset=${value}`, headers: authFor('alice') }), 'querystring.offset', /-0/, `offset=${value}`)
  }
  t.equal((await app.inject({ url: '/api/tasks?offset=0', headers: authFor('alice') })).statusCode, 200)
})
