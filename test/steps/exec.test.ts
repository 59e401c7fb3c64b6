import t from 'tap'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execStep } from '../../src/steps/exec.js'
import { processIsRunning } from '../../src/remote/local/process-group.js'
import type { StepOf } from '../../src/workflows/definition.js'
import { stepHarness } from '../helpers/step-context.js'

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'topup-exec-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function execDef(inputs: StepOf<'exec'>['inputs'], outputs?: StepOf<'exec'>['outputs']): StepOf<'exec'> {
  return { id: 'submit', display_name: 'Submit', type: 'exec', inputs, ...(outputs ? { outputs } : {}) }
}

const genJobOutput = `printf '%s\\n' 'banner: welcome to lxlogin' '1 job(s) submitted to cluster 101' '1 job(s) submitted to cluster 102.' \
'1 job(s) submitted to cluster 103' 'Total = 3 files' 'DONE'; echo 'source: warning' >&2`

t.test('captures one and all outputs, checks the marker, streams lines, records the pgid', async (t) => {
  const h = await stepHarness(t, execDef({ command: genJobOutput, require_marker: '^DONE$' }, {
    cluster_ids: { pattern: 'submitted to cluster (\\d+)', all: true, required: true },
    total: { pattern: '^Total = (\\d+) files$' },
    first_line: { pattern: '^banner: .*$' },
    never: { pattern: 'no such line (\\d+)' },
  }))
  const outcome = await execStep.run(h.ctx)
  t.equal(outcome.status, 'success')
  t.same(await h.outputs(), { cluster_ids: ['101', '102', '103'], total: '3', first_line: 'banner: welcome to lxlogin', never: '' })
  t.match(h.logs.find((l) => l.source === 'command'), { level: 'info', message: /^\$ printf/ })
  t.same(h.logs.filter((l) => l.source === 'stdout').map((l) => l.message).slice(-2), ['Total = 3 files', 'DONE'])
  t.match(h.logs.filter((l) => l.source === 'stdout')[0], { level: 'info' })
  t.same(h.logs.filter((l) => l.source === 'stderr'), [{ level: 'warning', message: 'source: warning', source: 'stderr' }])
  t.match(await h.remoteHandle(), { pgid: Number })
})

t.test('a missing marker fails even with exit code 0 (genJob.sh refusing an existing date)', async (t) => {
  const h = await stepHarness(t, execDef({ command: `echo 'ERROR: 250624 exists'`, require_marker: '^DONE$' }))
  const outcome = await execStep.run(h.ctx)
  t.match(outcome, { status: 'failed', retryable: false, error: /required marker \/\^DONE\$\/ never appeared.*exit code 0/ })
})

t.test('expected exit codes', async (t) => {
  const ok = await stepHarness(t, execDef({ command: 'exit 2', expected_exit_codes: [0, 2] }))
  t.match(await execStep.run(ok.ctx), { status: 'success', summary: /exit code 2/ })
  const bad = await stepHarness(t, execDef({ command: 'echo half; exit 3', expected_exit_codes: [0, 2] }))
  t.match(await execStep.run(bad.ctx), { status: 'failed', error: 'command exit code 3 (expected exit code one of 0, 2)' })
  const plain = await stepHarness(t, execDef({ command: 'false' }))
  t.match(await execStep.run(plain.ctx), { status: 'failed', error: 'command exit code 1 (expected exit code 0)' })
  const killed = await stepHarness(t, execDef({ command: 'kill -TERM $$' }))
  t.match(await execStep.run(killed.ctx), { status: 'failed', error: /killed by signal SIGTERM/ })
})

t.test('a required output that never matched fails the step', async (t) => {
  const h = await stepHarness(t, execDef({ command: 'echo DONE' }, { cluster_ids: { pattern: 'cluster (\\d+)', all: true, required: true } }))
  t.match(await execStep.run(h.ctx), { status: 'failed', error: /required output\(s\) not found in stdout: cluster_ids/ })
  t.same(await h.outputs(), {}, 'nothing recorded from a failed run')
})

t.test('a hostile parameter stays one argument, in command, cwd and env', async (t) => {
  const dir = tempDir(t)
  const victim = join(dir, 'pwned')
  const work = join(dir, 'work dir; $(touch pwned)')
  mkdirSync(work)
  const hostile = `250624; touch ${victim}; $(touch ${victim}) \`touch ${victim}\` '"`
  const h = await stepHarness(t, execDef({
    command: `printf '[%s]\\n' {{ params.date_param }} "$DAY"; pwd`,
    cwd: '{{ vars.work }}',
    env: { DAY: '{{ params.date_param }}' },
  }, { echoed: { pattern: '^\\[(.*)\\]$', all: true }, cwd: { pattern: '^(/.*)$' } }), {
    params: { date_param: hostile }, vars: { work },
  })
  const outcome = await execStep.run(h.ctx)
  t.equal(outcome.status, 'success')
  t.same(await h.outputs(), { echoed: [hostile, hostile], cwd: work })
  t.notOk(existsSync(victim), 'nothing was executed')
  t.notOk(existsSync(join(work, 'pwned')))
})

t.test('a missing cwd fails before the command runs', async (t) => {
  const dir = tempDir(t)
  const h = await stepHarness(t, execDef({ command: `touch ${join(dir, 'ran')}`, cwd: join(dir, 'missing') }))
  t.match(await execStep.run(h.ctx), { status: 'failed' })
  t.notOk(existsSync(join(dir, 'ran')))
  t.ok(h.logs.some((l) => l.source === 'stderr' && /missing/.test(l.message)))
})

t.test('cancel kills the running command and its children', async (t) => {
  const h = await stepHarness(t, execDef({ command: 'sleep 300 & echo "child $!"; wait' }))
  const pids: number[] = []
  const origLog = h.ctx.log
  h.ctx.log = (level, message, source) => {
    origLog(level, message, source)
    const m = /^child (\d+)$/.exec(message)
    if (m) { pids.push(Number(m[1])); h.controller.abort('cancel') }
  }
  const outcome = await execStep.run(h.ctx)
  t.match(outcome, { status: 'failed', retryable: false, error: /^stopped \(cancel\): process group \d+ killed/ })
  const { pgid } = (await h.remoteHandle()) as { pgid: number }
  t.notOk(processIsRunning(pgid))
  t.equal(pids.length, 1)
  t.notOk(processIsRunning(pids[0]!))
})

t.test('detached runs under setsid in a work folder and follows its output (test/remote/detached.test.ts: over SSH)', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'topup-runs-'))
  t.teardown(() => rmSync(base, { recursive: true, force: true }))
  const h = await stepHarness(t, execDef({ command: 'echo DONE', detached: true, require_marker: 'DONE' }), { remoteRunsDir: base })
  t.equal((await execStep.run(h.ctx)).status, 'success')
  t.match(await h.remoteHandle(), { detached: true, dir: new RegExp(`^${base}/`), pgid: Number })
})

t.test('environment values reach the command but not the task log', async (t) => {
  const secret = 's3cret-value-that-must-not-be-logged'
  const h = await stepHarness(t, execDef({
    command: `test "\${#API_KEY}" = ${secret.length} && echo key-ok`,
    env: { API_KEY: '{{ vars.key }}' },
  }, { ok: { pattern: '^(key-ok)$', required: true } }), { vars: { key: secret } })
  t.equal((await execStep.run(h.ctx)).status, 'success', 'the command saw the value')
  const logged = h.logs.map((entry) => entry.message).join('\n')
  t.match(logged, /export API_KEY=<hidden>/)
  t.notOk(logged.includes(secret), 'the value appears nowhere in the log')
})

t.test('fail_on: a matching stdout or stderr line fails the step once it ended, naming the line and the message', async (t) => {
  const checks = [{ pattern: 'error:\\s+(repeat|order|miss)', message: 'ccompare found a repeated, misordered or missing run', ignore_case: true }]
  const h = await stepHarness(t, execDef({
    command: `echo 'checking 3 runs'; echo 'Error:  repeat run 10001' >&2; echo done > done.txt`,
    cwd: '{{ vars.dir }}', fail_on: checks,
  }), { vars: { dir: tempDir(t) } })
  const outcome = await execStep.run(h.ctx)
  t.match(outcome, {
    status: 'failed', retryable: false,
    error: 'ccompare found a repeated, misordered or missing run: stderr line "Error:  repeat run 10001" matches fail_on ' +
      '/error:\\s+(repeat|order|miss)/',
  })
  t.ok(existsSync(join(h.ctx.render('{{ vars.dir }}'), 'done.txt')), 'the command ran to its end')
  const two = await stepHarness(t, execDef({ command: `echo 'error: order 10002'; echo 'error: miss 10003'`, fail_on: checks }))
  t.match(await execStep.run(two.ctx), { status: 'failed', error: /: stdout line "error: order 10002" matches .* \(and 1 more line\(s\)\)$/ })

  const clean = await stepHarness(t, execDef({ command: `echo 'errors: none'`, fail_on: checks }))
  t.match(await execStep.run(clean.ctx), { status: 'success' })
  const caseMatters = await stepHarness(t, execDef({ command: `echo 'ERROR: order'`, fail_on: [{ pattern: 'error: order' }] }))
  t.match(await execStep.run(caseMatters.ctx), { status: 'success' }, 'without ignore_case the case counts')
  const noMessage = await stepHarness(t, execDef({ command: `echo 'error: order'; exit 3`, fail_on: [{ pattern: 'error: order' }] }))
  t.match(await execStep.run(noMessage.ctx), {
    status: 'failed', retryable: false, error: 'the output reports a failure: stdout line "error: order" matches fail_on /error: order/',
  }, 'the matching line says more than the exit code')
})

t.test('fail_on_output: any line with text on stdout or stderr fails; blank lines and silence do not', async (t) => {
  const run = async (command: string) => execStep.run((await stepHarness(t, execDef({ command, fail_on_output: true }))).ctx)
  t.match(await run('true'), { status: 'success' })
  t.match(await run(`printf '\\n  \\n'`), { status: 'success' })
  t.match(await run(`echo 'run 10002: 12 events out of range' >&2; echo second >&2`), {
    status: 'failed', retryable: false,
    error: 'the command printed output, and fail_on_output allows none: stderr line "run 10002: 12 events out of range" (and 1 more line(s))',
  })
})

t.test('a detached command\'s output checks survive a re-attach: a line read before it still fails the step', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'topup-runs-'))
  t.teardown(() => rmSync(base, { recursive: true, force: true }))
  const go = join(base, 'go')
  const def = execDef({
    command: `echo 'error: repeat 10001'; while [ ! -e ${go} ]; do sleep 0.05; done; echo 'all compared'`,
    detached: true, fail_on: [{ pattern: '^error: (repeat|order|miss)', message: 'ccompare failed' }],
  })
  const first = await stepHarness(t, def, { remoteRunsDir: base })
  const running = execStep.run(first.ctx)
  for (let i = 0; i < 400; i++) {
    const saved = (await first.progressState()) as { output?: { checks?: { hits: number } } } | null
    if (saved?.output?.checks?.hits === 1) break
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  first.controller.abort('pause')
  t.match(await running, { status: 'interrupted' })

  const second = await stepHarness(t, def, { db: first.db, taskId: first.taskId, executionId: first.executionId, remoteRunsDir: base })
  t.match(second.ctx.progress.resumed, { output: { checks: { hits: 1, first: { line: 'error: repeat 10001', stream: 'stdout', check: 0 } } } })
  writeFileSync(go, '')
  t.match(await execStep.run(second.ctx), {
    status: 'failed', retryable: false, error: 'ccompare failed: stdout line "error: repeat 10001" matches fail_on /^error: (repeat|order|miss)/',
  })
  t.same(second.logs.filter((l) => l.source === 'stdout').map((l) => l.message), ['all compared'], 'the line was not read twice')
})
