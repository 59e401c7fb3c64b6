import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadWorkflows, WorkflowLoadError } from '../../src/workflows/loader.js'
import { repoWorkflowsDir } from '../helpers/app.js'

const minimal = () => ({
  name: 'mini', display_name: 'Mini', version: '1',
  parameters: { date_param: { type: 'string', format: 'yymmdd', required: true } },
  vars: { base: '/tmp/{{ params.date_param }}' },
  steps: [
    { id: 'list', display_name: 'List', type: 'exec', inputs: { command: 'ls {{ vars.base }}' },
      outputs: { files: { pattern: '^(.+)$', all: true } } },
    { id: 'wait', display_name: 'Wait', type: 'wait_for_files',
      inputs: { files: ['{{ item }}.done'], for_each: '{{ steps.list.outputs.files }}' } },
  ],
})

function folderWith(t: { teardown(fn: () => void): void }, files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'topup-wf-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content))
  }
  return dir
}

function loadError(dir: string): WorkflowLoadError {
  try {
    loadWorkflows(dir)
  } catch (error) {
    if (error instanceof WorkflowLoadError) return error
    throw error
  }
  throw new Error('the folder loaded without error')
}

t.test('the shipped workflows load', async (t) => {
  const loaded = loadWorkflows(repoWorkflowsDir)
  const topup = loaded.find((w) => w.definition.name === 'topup_standard_workflow')
  t.ok(topup)
  t.match(topup!.file, /topup_standard\.json$/)
  const params = topup!.definition.parameters!
  t.match(params.date_param, { type: 'string', format: 'yymmdd', required: true })
  t.match(params.round, { type: 'string', default: 'round18' })
  t.match(params.submit_job, { type: 'boolean', default: true })
  t.match(params.max_wait_minutes, { type: 'integer', default: 25, minimum: 5, maximum: 120 })
  t.match(params.check_ist, { type: 'boolean', default: true })
  const steps = topup!.definition.steps
  t.same(steps.slice(0, 8).map((s) => s.type), ['exec', 'exec', 'wait_for_files', 'exec', 'exec', 'exec', 'exec', 'download'], 'stage 1')
  t.same(steps.filter((s) => s.pause_after).map((s) => s.id),
    ['download_pdf', 'download_hist_pdf', 'download_shield_pdfs', 'download_ets_pdf', 'download_check_pdf'], 'review gates after 1.4, 2.5, 4.2, 5.4, 6.2')
  t.equal(steps.at(-1)!.id, 'reset_folders', 'step 7 ends the day')
  const submits = steps.filter((s) => s.type === 'exec' && s.inputs.jobs !== undefined)
  t.same(submits.map((s) => s.id), ['submit_jobs', 'submit_hist_jobs', 'submit_peak_jobs', 'submit_shield_jobs', 'submit_ets_jobs', 'submit_check_jobs'])
  for (const submit of submits) {
    t.match(submit, { retry: { count: 0 }, inputs: { require_marker: '^DONE$', detached: true } }, `${submit.id}: DONE, never retried`)
    if (submit.id !== 'submit_jobs') t.equal(submit.when, '{{ params.submit_job }}', `${submit.id}: submit_job false re-uses what is on disk`)
    t.ok(steps.some((s) => (s.type === 'wait_for_files' || s.type === 'wait_for_jobs') && s.inputs.jobs === submit.id), `${submit.id}: its jobs are waited for`)
  }
  for (const s of steps) if (s.type === 'wait_for_files') t.equal(s.inputs.poll_seconds, '{{ vars.poll_seconds }}', `${s.id} polls at the site's pace`)
  t.match(steps[0]!.inputs, { jobs: { system: 'hepjob', from_output: 'cluster_ids', tools: '{{ vars.hepjob_bin }}' } }, 'the submission declares its jobs')
  t.match(steps[2]!.inputs, { jobs: 'submit_jobs' }, 'the file wait also waits for the jobs')
  t.ok(steps.every((s) => s.host === 'beslogin'))
  const step = (id: string) => steps.find((s) => s.id === id)!
  t.match(step('submit_jobs'), { retry: { count: 0 }, outputs: { cluster_ids: { required: true } } }, 'a retry would submit everything again')
  t.match(step('wait_for_job_files'), { retry: { count: 0 }, on_failure: 'pause' })
  t.match(step('check_job_logs'), { type: 'exec', on_failure: 'pause' })
  t.equal(steps.indexOf(step('check_job_logs')), steps.indexOf(step('wait_for_job_files')) + 1, 'the job logs are checked right after the wait')
  t.match(step('ist_check'), { on_failure: 'pause', inputs: { require_marker: '^IST CHECK PASSED' } })
})

t.test('a valid file', async (t) => {
  const dir = folderWith(t, { 'mini.json': minimal(), 'notes.txt': 'ignored' })
  const [wf] = loadWorkflows(dir)
  t.equal(wf!.definition.name, 'mini')
  t.equal(wf!.file, join(dir, 'mini.json'))
})

const cases: [string, (wf: ReturnType<typeof minimal>) => unknown, RegExp][] = [
  ['a wrong input type', (wf) => { (wf.steps[0]!.inputs as Record<string, unknown>).command = 5 }, /mini\.json: \/steps\/0\/inputs\/command: must be string/],
  ['an unknown step type', (wf) => { wf.steps[1]!.type = 'teleport' }, /\/steps\/1\/type: unknown step type "teleport"/],
  ['an unknown property in a step', (wf) => { (wf.steps[0]!.inputs as Record<string, unknown>).shell = 'zsh' }, /\/steps\/0\/inputs\/shell: unknown property/],
  ['a missing required field', (wf) => { delete (wf as Partial<typeof wf>).version }, /mini\.json: : must have required properties? version|mini\.json: .*version/],
  ['no steps', (wf) => { wf.steps = [] }, /\/steps: must not have fewer than 1 items|\/steps: .*1/],
  ['a duplicate step id', (wf) => { wf.steps[1]!.id = 'list' }, /\/steps\/1\/id: duplicate step id "list"/],
  ['a reference to a later step', (wf) => { wf.steps.reverse() }, /\/steps\/0\/inputs\/for_each: .*"list", which is not an earlier step/],
  ['a reference to an undeclared output', (wf) => { (wf.steps[1]!.inputs as Record<string, unknown>).for_each = '{{ steps.list.outputs.nope }}' }, /\/steps\/1\/inputs\/for_each: .*step "list" has no output "nope" \(it has: files\)/],
  ['an unknown parameter in a template', (wf) => { (wf.steps[0]!.inputs as Record<string, unknown>).command = 'ls {{ params.dir }}' }, /\/steps\/0\/inputs\/command: unknown parameter "dir"/],
  ['an unknown variable in a template', (wf) => { (wf.steps[0]!.inputs as Record<string, unknown>).command = 'ls {{ vars.nope }}' }, /\/steps\/0\/inputs\/command: unknown variable "nope"/],
  ['an unclosed template', (wf) => { (wf.steps[0]!.inputs as Record<string, unknown>).command = 'ls {{ vars.base' }, /\/steps\/0\/inputs\/command: unclosed/],
  ['a default that breaks its own rule', (wf) => { (wf.parameters as Record<string, unknown>).n = { type: 'integer', minimum: 5, maximum: 10, default: 25 } }, /\/parameters\/n\/default: must be <= 10/],
  ['a yymmdd default that is no date', (wf) => { (wf.parameters.date_param as Record<string, unknown>).default = '250231' }, /\/parameters\/date_param\/default: must be a date/],
  ['a bad pattern', (wf) => { (wf.parameters as Record<string, unknown>).r = { type: 'string', pattern: '([a-' } }, /\/parameters\/r\/pattern: not a valid regular expression/],
  ['an unknown parameter type', (wf) => { (wf.parameters as Record<string, unknown>).f = { type: 'float' } }, /\/parameters\/f\/type: must be one of string, integer, boolean, enum/],
  ['a bad parameter name', (wf) => { (wf.parameters as Record<string, unknown>)['1x'] = { type: 'boolean' } }, /\/parameters\/1x: parameter names must match/],
  ['jobs from an output that is not declared', (wf) => { (wf.steps[0]!.inputs as Record<string, unknown>).jobs = { system: 'hepjob', from_output: 'ids', tools: '/opt/hepjob/bin' } },
    /\/steps\/0\/inputs\/jobs\/from_output: "ids" must be an output of this step with a pattern/],
  ['jobs of an unknown batch system', (wf) => { (wf.steps[0]!.inputs as Record<string, unknown>).jobs = { system: 'pbs', from_output: 'files', tools: '/opt/bin' } },
    /\/steps\/0\/inputs\/jobs\/system/],
  ['a wait on the jobs of a step that submits none', (wf) => { (wf.steps[1]!.inputs as Record<string, unknown>).jobs = 'list' },
    /\/steps\/1\/inputs\/jobs: "list" is not an earlier step that declares cluster jobs/],
  ['a concurrency key that uses a step output', (wf) => { (wf as Record<string, unknown>).concurrency = { key: 'day-{{ steps.list.outputs.files }}' } },
    /\/concurrency\/key: \{\{ steps\.list\.outputs\.files \}\}: the key may use only params and vars/],
  ['a concurrency key with an unknown parameter', (wf) => { (wf as Record<string, unknown>).concurrency = { key: 'round-{{ params.round }}' } },
    /\/concurrency\/key: unknown parameter "round"/],
  ['a concurrency limit of 0', (wf) => { (wf as Record<string, unknown>).concurrency = { key: '{{ vars.base }}', limit: 0 } },
    /\/concurrency\/limit: must be >= 1/],
  ['a fail_on pattern that does not compile', (wf) => { (wf.steps[0]!.inputs as Record<string, unknown>).fail_on = [{ pattern: 'error: (repeat' }] },
    /\/steps\/0\/inputs\/fail_on\/0\/pattern: not a valid regular expression/],
  ['fail_on_output that is not a boolean', (wf) => { (wf.steps[0]!.inputs as Record<string, unknown>).fail_on_output = 'yes' },
    /\/steps\/0\/inputs\/fail_on_output: must be boolean/],
  ['an advice pattern that does not compile', (wf) => { (wf as Record<string, unknown>).advice = [{ match: 'ok' , advice: 'fine' }, { match: '[', advice: 'x' }] },
    /mini\.json: \/advice\/1\/match: not a valid regular expression/],
  ['an advice without its text', (wf) => { (wf as Record<string, unknown>).advice = [{ match: 'x' }] }, /\/advice\/0: .*advice/],
  ['a file entry counted two ways', (wf) => { (wf.steps[1]!.inputs as Record<string, unknown>).files = [{ glob: 'h_*.root', count: 3, min_count: 1 }] },
    /\/steps\/1\/inputs\/files\/0: give one of count, min_count and as_many_as, not count and min_count/],
  ['a count that is not whole', (wf) => { (wf.steps[1]!.inputs as Record<string, unknown>).files = [{ glob: 'h_*.root', min_count: 1.5 }] },
    /\/steps\/1\/inputs\/files\/0\/min_count: must be a whole number/],
  ['an unknown property in a file entry', (wf) => { (wf.steps[1]!.inputs as Record<string, unknown>).files = [{ glob: 'h_*.root', size: 3 }] },
    /\/steps\/1\/inputs\/files\/0/],
  ['stable_polls of 0', (wf) => { (wf.steps[1]!.inputs as Record<string, unknown>).stable_polls = 0 }, /\/steps\/1\/inputs\/stable_polls: must be >= 1/],
  ['a count that refers to an unknown step', (wf) => { (wf.steps[1]!.inputs as Record<string, unknown>).files = [{ glob: 'h_*.root', count: '{{ steps.nope.outputs.n }}' }] },
    /\/steps\/1\/inputs\/files\/0\/count: .*"nope", which is not an earlier step/],
]
for (const [what, mutate, expected] of cases) {
  t.test(`an invalid file: ${what}`, async (t) => {
    const wf = minimal()
    mutate(wf)
    const error = loadError(folderWith(t, { 'mini.json': wf }))
    t.match(error.message, expected)
    t.ok(error.issues.every((i) => i.includes('mini.json: ')), 'every issue names the file')
  })
}

t.test('output checks, counted and stable file waits and advice load', async (t) => {
  const wf = minimal() as ReturnType<typeof minimal> & { advice?: unknown }
  Object.assign(wf.steps[0]!.inputs, { fail_on: [{ pattern: 'error:\\s+(repeat|order|miss)', message: 'ccompare failed', ignore_case: true }], fail_on_output: false })
  Object.assign(wf.steps[1]!.inputs, {
    stable_polls: 2,
    files: ['{{ item }}.done', { glob: 'hist{{ item }}_*.root', count: '{{ params.date_param }}', label: 'hist files' },
      { glob: '{{ item }}/hist*.root', as_many_as: 'rec{{ item }}_+([0-9])' }, { glob: 'check*.png', min_count: 2 }, { glob: '*.log' }],
  })
  wf.advice = [{ match: '^step list failed', advice: 'look at the folder' }, { match: 'TIMED OUT', advice: 'again', ignore_case: true }]
  const [loaded] = loadWorkflows(folderWith(t, { 'mini.json': wf }))
  t.same(loaded!.definition.advice, wf.advice)
})

t.test('not JSON', async (t) => {
  t.match(loadError(folderWith(t, { 'broken.json': '{ "name": ' })).message, /broken\.json: not valid JSON/)
})

t.test('two files with one name', async (t) => {
  const error = loadError(folderWith(t, { 'a.json': minimal(), 'b.json': minimal() }))
  t.match(error.message, /b\.json: \/name: workflow "mini" is already defined in .*a\.json/)
})

t.test('every bad file is reported, not only the first', async (t) => {
  const bad = minimal()
  bad.steps[0]!.id = 'bad id!'
  const error = loadError(folderWith(t, { 'a.json': '[]', 'b.json': bad }))
  t.match(error.message, /a\.json/)
  t.match(error.message, /b\.json: \/steps\/0\/id/)
})

t.test('a missing folder', async (t) => {
  t.match(loadError('/nonexistent/workflows').message, /\/nonexistent\/workflows: cannot read the folder/)
})

t.test('the shipped file is the file on disk', async (t) => {
  const text = readFileSync(join(repoWorkflowsDir, 'topup_standard.json'), 'utf8')
  t.doesNotThrow(() => JSON.parse(text))
})

t.test('a placeholder inside quotes or a substitution is refused, naming file, path and reason', async (t) => {
  const bad: [string, string][] = [
    ['echo "{{ vars.base }}"', 'inside double quotes'],
    ["echo '{{ vars.base }}'", 'inside single quotes'],
    ['echo `ls {{ vars.base }}`', 'inside backticks'],
    ['n=$(ls {{ vars.base }} | wc -l)', 'inside $( … )'],
    ['echo "$(ls {{ vars.base }})"', 'inside $( … )'],
    ['echo ${x:-{{ vars.base }}}', 'inside ${ … }'],
    ["printf $'{{ vars.base }}\\n'", "inside $'…' quotes"],
    ['echo hi # {{ vars.base }}', 'inside a comment'],
    ['cat <<EOF\n{{ vars.base }}\nEOF', 'inside a here-document'],
    ['echo \\{{ vars.base }}', 'right after \\'],
    ['echo ${{ vars.base }}', 'right after $'],
  ]
  for (const [command, where] of bad) {
    const wf = minimal()
    ;(wf.steps[0]!.inputs as Record<string, unknown>).command = command
    const error = loadError(folderWith(t, { 'mini.json': wf }))
    t.match(error.message, `mini.json: /steps/0/inputs/command: {{ vars.base }} is ${where}: write the placeholder bare: it is quoted for you`, command)
  }
  const wf = minimal()
  ;(wf.steps[0]!.inputs as Record<string, unknown>).cwd = '"{{ vars.base }}"'
  t.match(loadError(folderWith(t, { 'mini.json': wf })).message, /\/steps\/0\/inputs\/cwd: \{\{ vars\.base \}\} is inside double quotes/)
})

t.test('bare placeholders load, also next to quoted text', async (t) => {
  const wf = minimal()
  ;(wf.steps[0]!.inputs as Record<string, unknown>).command =
    'b={{ vars.base }} && echo "it\'s $b" \'a "quote"\' && ls -- {{ vars.base }}/x "$(pwd)" && (cd {{ vars.base }}) # fine\n' +
    'n=$(( 1 << 2 )) && cat <<-\'EOF\' && echo {{ vars.base }}\n\tliteral \'text\n\tEOF\necho ${#n} {{ vars.base }}'
  t.doesNotThrow(() => loadWorkflows(folderWith(t, { 'mini.json': wf })))
})

t.test('the demo runs the very commands of the standard workflow where the site does not matter', async (t) => {
  const loaded = loadWorkflows(repoWorkflowsDir)
  const steps = (name: string) => new Map(loaded.find((w) => w.definition.name === name)!.definition.steps.map((s) => [s.id, s]))
  const standard = steps('topup_standard_workflow')
  const demo = steps('demo_topup_first_stage')
  for (const [std, dem] of [['list_runs', 'list_runs'], ['check_job_logs', 'check_job_logs'], ['move_files', 'move'], ['ist_check', 'check']]) {
    t.same(demo.get(dem!)!.inputs, standard.get(std!)!.inputs, `${dem} = ${std}`)
    t.same(demo.get(dem!)!.outputs, standard.get(std!)!.outputs, `${dem} outputs = ${std} outputs`)
  }
})
