import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { buildTestApp, repoWorkflowsDir, sharedByFile } from '../helpers/app.js'

const topupVersion = (JSON.parse(readFileSync(join(repoWorkflowsDir, 'topup_standard.json'), 'utf8')) as { version: string }).version

// One app for the tests with the default step types; the first needs its own.
const shared = sharedByFile(t, () => buildTestApp(t))

t.test('GET /api/workflows lists every workflow with its runnable state', async (t) => {
  const { app, authFor } = await buildTestApp(t, { implementedStepTypes: ['exec', 'wait_for_files'] })
  const res = await app.inject({ url: '/api/workflows', headers: authFor('alice') })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.total, body.items.length)
  const topup = body.items.find((w: { name: string }) => w.name === 'topup_standard_workflow')
  t.match(topup, {
    display_name: String, version: topupVersion, runnable: false, missing_step_types: ['download'],
    parameters: { date_param: { type: 'string', format: 'yymmdd', required: true } },
  })
  const paged = (await app.inject({ url: '/api/workflows?limit=1&offset=0', headers: authFor('alice') })).json()
  t.equal(paged.items.length, 1)
})

t.test('GET /api/workflows/{name}', async (t) => {
  const { app, authFor } = shared()
  const res = await app.inject({ url: '/api/workflows/topup_standard_workflow', headers: authFor('alice') })
  t.equal(res.statusCode, 200)
  const wf = res.json()
  t.equal(wf.runnable, true)
  t.equal(wf.steps.length, 38)
  t.match(wf.steps[0], { id: 'submit_jobs', type: 'exec', host: 'beslogin', inputs: { require_marker: '^DONE$', detached: true } })
  t.match(wf.vars, { work_area: '/besfs5/groups/cal/topup/{{ params.round }}/DataValid', env_script: '~/w720' })
  t.match(wf.parameters.max_wait_minutes, { type: 'integer', minimum: 5, maximum: 120, default: 25 })
  const missing = await app.inject({ url: '/api/workflows/nope', headers: authFor('alice') })
  t.match(missing.json(), { status: 404, code: 'not_found', detail: /nope/ })
  t.equal((await app.inject({ url: '/api/workflows/topup_standard_workflow' })).statusCode, 401)
})

t.test('POST /api/workflows/{name}/validate', async (t) => {
  const { app, authFor } = shared()
  const validate = (parameters: unknown) => app.inject({
    method: 'POST', url: '/api/workflows/topup_standard_workflow/validate', headers: authFor('alice'), payload: { parameters },
  })
  const ok = await validate({ date_param: '250624', max_wait_minutes: 30 })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), {
    valid: true, errors: [],
    parameters: { date_param: '250624', round: 'round18', submit_job: true, max_wait_minutes: 30, check_ist: true },
  })
  const bad = await validate({ date_param: '2506', round: 'x' })
  t.equal(bad.statusCode, 200)
  t.match(bad.json(), { valid: false, parameters: {} })
  t.same(bad.json().errors.map((e: { field: string }) => e.field).sort(), ['date_param', 'round'])
  const empty = await app.inject({ method: 'POST', url: '/api/workflows/topup_standard_workflow/validate',
    headers: authFor('alice'), payload: {} })
  t.match(empty.json(), { valid: false, errors: [{ field: 'date_param', message: 'is required' }] })
  const unknown = await app.inject({ method: 'POST', url: '/api/workflows/nope/validate', headers: authFor('alice'), payload: {} })
  t.equal(unknown.statusCode, 404)
  const notObject = await validate('250624')
  t.equal(notObject.statusCode, 400)
})
