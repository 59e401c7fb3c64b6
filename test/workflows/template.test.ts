import t from 'tap'
import { execFileSync } from 'node:child_process'
import {
  isTruthy, renderList, renderTemplate, resolveVars, templateReferences, TemplateError, type TemplateScope,
} from '../../src/workflows/template.js'
import { shellJoin, shellQuote } from '../../src/shell-quote.js'

const scope: TemplateScope = {
  params: { date_param: '250624', runs: 4, submit_job: true },
  vars: { work_dir: '/besfs5/groups/cal/topup/round18/DataValid' },
  steps: { list_runs: { outputs: { runs: ['10001', '10002'], first: '10001' } } },
  task: { id: 7, user_id: 'alice' },
}

/** What bash sees as argv after word splitting and quote removal. */
function argv(commandLine: string): string[] {
  const out = execFileSync('bash', ['-c', `for a in ${commandLine}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' })
  return out.split('\0').slice(0, -1)
}

t.test('plain substitutions of every kind', async (t) => {
  t.equal(renderTemplate('{{ params.date_param }}/{{params.runs}} {{ vars.work_dir }}', scope),
    '250624/4 /besfs5/groups/cal/topup/round18/DataValid')
  t.equal(renderTemplate('task {{ task.id }} of {{ task.user_id }}: {{ params.submit_job }}', scope), 'task 7 of alice: true')
  t.equal(renderTemplate('{{ steps.list_runs.outputs.first }} / {{ steps.list_runs.outputs.runs }}', scope), '10001 / 10001 10002')
  t.equal(renderTemplate('run {{ item }}', scope, { extra: { item: '10002' } }), 'run 10002')
  t.equal(renderTemplate('no templates at all; ${HOME} }} stays', scope), 'no templates at all; ${HOME} }} stays')
})

t.test('shell mode quotes every substitution, hostile values stay one argument', async (t) => {
  const hostile = ['250624; rm -rf ~', '$(id)', '`id`', "it's", 'a b\tc\nd', '', '--help', '*', '~', '"$HOME"', '中文 数据']
  for (const value of hostile) {
    const line = renderTemplate('{{ params.x }} end', { ...scope, params: { x: value } }, { shell: true })
    t.same(argv(line), [value, 'end'], `value ${JSON.stringify(value)} stays one argument`)
  }
  t.equal(renderTemplate('./genJob.sh {{ params.date_param }}', scope, { shell: true }), './genJob.sh 250624')
  t.equal(renderTemplate('echo {{ params.x }}', { ...scope, params: { x: '$(id)' } }, { shell: true }), "echo '$(id)'")
})

t.test('a list renders as individually quoted words', async (t) => {
  const s = { ...scope, steps: { a: { outputs: { names: ['x y', "o'k", '$(id)'] } } } }
  const line = renderTemplate('{{ steps.a.outputs.names }}', s, { shell: true })
  t.same(argv(line), ['x y', "o'k", '$(id)'])
  t.same(renderList('{{ steps.a.outputs.names }}', s), ['x y', "o'k", '$(id)'])
  t.same(renderList(' {{ steps.list_runs.outputs.first }} ', scope), ['10001'])
  t.same(renderList('run-{{ params.runs }}', scope), ['run-4'])
})

t.test('an unknown reference is an error naming it', async (t) => {
  for (const [template, name] of [
    ['{{ params.nope }}', 'params.nope'], ['{{ vars.nope }}', 'vars.nope'], ['{{ task.nope }}', 'task.nope'],
    ['{{ steps.list_runs.outputs.nope }}', 'steps.list_runs.outputs.nope'], ['{{ steps.later.outputs.x }}', 'steps.later.outputs.x'],
    ['{{ item }}', 'item'], ['{{ params.constructor }}', 'params.constructor'],
  ] as const) {
    const error = (() => { try { renderTemplate(template, scope) } catch (e) { return e } })()
    t.ok(error instanceof TemplateError, `${template} throws a TemplateError`)
    t.equal((error as TemplateError).reference, name)
    t.match((error as TemplateError).message, name)
  }
  t.throws(() => renderTemplate('{{ params }}', scope), /invalid template reference/)
  t.throws(() => renderTemplate('{{ rm -rf }}', scope), /invalid template reference/)
  t.throws(() => renderTemplate('open {{ params.x', scope), /unclosed/)
})

t.test('vars may use parameters and earlier vars; site overrides win', async (t) => {
  const vars = resolveVars(
    { root: '/data/{{ params.round }}', day: '{{ vars.root }}/{{ params.date_param }}', tool: '/opt/tool' },
    { tool: '/site/tool' },
    { params: { round: 'round18', date_param: '250624' }, task: { id: 1, user_id: 'u' } },
  )
  t.same(vars, { root: '/data/round18', day: '/data/round18/250624', tool: '/site/tool' })
  t.throws(() => resolveVars({ a: '{{ params.missing }}' }, {}, { params: {}, task: { id: 1, user_id: 'u' } }), /variable "a".*params\.missing/)
})

t.test('references are listed for the loader', async (t) => {
  const refs = templateReferences('cd {{ vars.work_dir }} && ls {{ steps.list-runs.v2.outputs.runs }} {{ item }} {{ task.id }} {{params.d}}')
  t.same(refs.map((r) => r.kind), ['vars', 'steps', 'extra', 'task', 'params'])
  t.match(refs[1], { kind: 'steps', step: 'list-runs.v2', output: 'runs' })
  t.same(templateReferences('nothing'), [])
})

t.test('isTruthy', async (t) => {
  for (const v of ['', 'false', 'FALSE', '0', 'no', 'off', ' Off ']) t.equal(isTruthy(v), false, JSON.stringify(v))
  for (const v of ['true', '1', 'yes', 'on', '250624', 'x']) t.equal(isTruthy(v), true, v)
})

t.test('shellQuote and shellJoin', async (t) => {
  t.equal(shellQuote('abc-1.txt'), 'abc-1.txt')
  t.equal(shellQuote(''), "''")
  t.equal(shellQuote("a'b"), `'a'\\''b'`)
  t.same(argv(shellJoin(['a b', '', "'", '\\', '!x'])), ['a b', '', "'", '\\', '!x'])
})
