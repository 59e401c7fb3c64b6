import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { WorkflowDefinition } from '../../src/workflows/definition.js'
import { checkParameterValue, decodeParameter, encodeParameter, isYymmdd, resolveParameters } from '../../src/workflows/parameters.js'
import { repoWorkflowsDir } from '../helpers/app.js'

const topup = JSON.parse(readFileSync(join(repoWorkflowsDir, 'topup_standard.json'), 'utf8')) as WorkflowDefinition
const resolve = (input: Record<string, unknown>) => resolveParameters(topup.parameters, input)

t.test('the seed\'s parameters resolve with defaults filled in', async (t) => {
  t.same(resolve({ date_param: '250624', submit_job: true, max_wait_minutes: 25 }), {
    ok: true,
    values: { date_param: '250624', round: 'round18', submit_job: true, max_wait_minutes: 25, check_ist: true },
  })
})

const bad: [string, Record<string, unknown>, string, RegExp][] = [
  ['a short date', { date_param: '2506' }, 'date_param', /YYMMDD/],
  ['a date with shell syntax', { date_param: '250624; rm -rf ~' }, 'date_param', /YYMMDD/],
  ['a date that is no day', { date_param: '250231' }, 'date_param', /YYMMDD/],
  ['a missing required parameter', {}, 'date_param', /is required/],
  ['a number for a string', { date_param: 250624 }, 'date_param', /must be a string/],
  ['a string for an integer', { date_param: '250624', max_wait_minutes: '25' }, 'max_wait_minutes', /integer/],
  ['a fraction for an integer', { date_param: '250624', max_wait_minutes: 25.5 }, 'max_wait_minutes', /integer/],
  ['too small', { date_param: '250624', max_wait_minutes: 4 }, 'max_wait_minutes', />= 5/],
  ['too large', { date_param: '250624', max_wait_minutes: 121 }, 'max_wait_minutes', /<= 120/],
  ['a string for a boolean', { date_param: '250624', submit_job: 'yes' }, 'submit_job', /true or false/],
  ['a round outside its pattern', { date_param: '250624', round: '../etc' }, 'round', /must match/],
  ['an unknown parameter', { date_param: '250624', work_dir: '/tmp' }, 'work_dir', /unknown parameter/],
]
for (const [what, input, field, message] of bad) {
  t.test(`refused: ${what}`, async (t) => {
    const result = resolve(input)
    t.equal(result.ok, false)
    if (!result.ok) t.match(result.errors, [{ field, message }])
  })
}

t.test('every error is reported', async (t) => {
  const result = resolve({ date_param: 'x', max_wait_minutes: 500, extra: 1 })
  t.equal(result.ok, false)
  if (!result.ok) t.same(result.errors.map((e) => e.field).sort(), ['date_param', 'extra', 'max_wait_minutes'])
})

t.test('null counts as not given', async (t) => {
  t.match(resolve({ date_param: '250624', round: null }), { ok: true, values: { round: 'round18' } })
})

t.test('yymmdd', async (t) => {
  t.ok(isYymmdd('250624'))
  t.ok(isYymmdd('240229'))
  t.notOk(isYymmdd('250229'))
  t.notOk(isYymmdd('251301'))
  t.notOk(isYymmdd('250600'))
  t.notOk(isYymmdd('25062'))
  t.notOk(isYymmdd('2506245'))
})

t.test('enum, lengths', async (t) => {
  t.equal(checkParameterValue({ type: 'enum', values: ['a', 'b'] }, 'a'), null)
  t.match(checkParameterValue({ type: 'enum', values: ['a', 'b'] }, 'c'), /one of a, b/)
  t.match(checkParameterValue({ type: 'string', min_length: 2 }, 'a'), /at least 2/)
  t.match(checkParameterValue({ type: 'string', max_length: 2 }, 'abc'), /at most 2/)
})

t.test('a workflow without parameters accepts none', async (t) => {
  t.same(resolveParameters(undefined, {}), { ok: true, values: {} })
  t.match(resolveParameters(undefined, { x: 1 }), { ok: false, errors: [{ field: 'x' }] })
})

t.test('stored values read back with their types', async (t) => {
  t.equal(decodeParameter('integer', encodeParameter(25)), 25)
  t.equal(decodeParameter('boolean', encodeParameter(false)), false)
  t.equal(decodeParameter('string', encodeParameter('250624')), '250624')
})
