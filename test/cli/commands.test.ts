import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import t from 'tap'
import { runCli, startCliServer, createdTaskId, type CliServer } from './cli-process.js'

const dir = mkdtempSync(join(tmpdir(), 'topup-cli-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let cli: CliServer
t.before(async () => { cli = await startCliServer(t, dir) })

t.test('a bad parameter: the server\'s message on one line, exit 1', async (t) => {
  const r = await runCli(['run', 'demo_topup_first_stage', '-p', 'runs=99'], cli.env)
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.equal(r.stderr, 'error: Invalid workflow parameters: parameter runs: must be <= 20 (invalid_parameters)\n')
  const typo = await runCli(['run', 'typed_flow', '-p', 'count=two', '-p', 'flag=maybe', '-p', 'colour=red'], cli.env)
  t.equal(typo.code, 1)
  t.match(typo.stderr, /^error: Invalid workflow parameters: .*colour: unknown parameter.*count: must be an integer.*flag: must be true or false.* \(invalid_parameters\)\n$/)
  const json = await runCli(['run', 'demo_topup_first_stage', '-p', 'runs=0', '--json'], cli.env)
  t.equal(json.code, 1)
  t.match(JSON.parse(json.stderr), { status: 400, code: 'invalid_parameters', errors: [{ field: 'runs' }] }, '--json: the problem itself')
})

t.test('-p values are typed by the workflow: a number, a boolean, a text', async (t) => {
  const r = await runCli(['run', 'typed_flow', '-p', 'count=4', '-p', 'flag=false', '-p', 'label=007', '--json'], cli.env)
  t.equal(r.code, 0, r.stderr)
  const task = JSON.parse(r.stdout) as { id: number; parameters: Record<string, unknown> }
  t.same(task.parameters, { count: 4, flag: false, label: '007' })
  await cli.server.waitForStatus(task.id, ['success'])
  const logs = await runCli(['logs', String(task.id)], cli.env)
  t.equal(logs.code, 0, logs.stderr)
  t.match(logs.stdout, /^# +\d+ \d\d:\d\d:\d\d\.\d{3} INFO +\[stdout\] 4 false$/m)
  const warnings = await runCli(['logs', String(task.id), '--level', 'warning'], cli.env)
  t.equal(warnings.stdout, '', 'no warning line')
})

t.test('usage errors exit 64; someone else\'s task is not found', async (t) => {
  for (const args of [['nonsense'], ['follow'], ['follow', 'x'], ['tasks', '--bogus'], ['run'], ['run', 'w', '-p', 'novalue']]) {
    const r = await runCli(args, cli.env)
    t.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`)
    t.match(r.stderr, /^error: .*\nusage: /)
  }
  const other = await runCli(['run', 'typed_flow'], { ...cli.env, TOPUP_TOKEN: cli.token('bob') })
  const id = createdTaskId(other.stdout)
  const r = await runCli(['follow', String(id)], cli.env)
  t.equal(r.code, 1)
  t.equal(r.stderr, `error: Not found: task ${id} not found (not_found)\n`)
  const zh = await runCli(['follow', String(id)], { ...cli.env, LANG: 'zh_CN.UTF-8' })
  t.equal(zh.stderr, `错误：Not found: task ${id} not found (not_found)\n`)
  const help = await runCli(['follow', '--help'], cli.env)
  t.equal(help.code, 0)
  t.match(help.stdout, /^usage: topup follow <task id>/)
})

t.test('on a terminal: a bar per step and colours; NO_COLOR keeps the bars without colour', async (t) => {
  const created = await runCli(['run', 'typed_flow', '-p', 'count=2'], cli.env)
  const id = createdTaskId(created.stdout)
  await cli.server.waitForStatus(id, ['success'])
  // script(1) gives the command a pseudo-terminal of its own
  const command = `stty cols 100 rows 30; exec '${process.execPath}' --import=tsx src/cli/main.ts follow ${id}`
  for (const noColor of [false, true]) {
    const env = { ...cli.env, ...(noColor ? { NO_COLOR: '1' } : {}) }
    if (!noColor) delete env.NO_COLOR
    const r = await runScript(command, env)
    t.equal(r.code, 0, r.stdout)
    t.match(r.stdout, /✓ echo +█{20}/, 'the step\'s bar, full')
    t.match(r.stdout, new RegExp(`task ${id} success 100% █{20}`))
    if (noColor) t.notMatch(r.stdout, /\x1b\[\d+m/, 'NO_COLOR: no colour')
    else t.match(r.stdout, /\x1b\[32m/, 'colour on a terminal')
  }
})

t.test('days without the standard workflow, with a bad round: the server\'s message on one line', async (t) => {
  const unlisted = await runCli(['days', '--round', 'round18'], cli.env)
  t.equal(unlisted.code, 1)
  t.match(unlisted.stderr, /^error: Service unavailable: workflow topup_standard_workflow is not loaded: .* \(service_unavailable\)\n$/)
  const bad = await runCli(['days', '--round', 'r18'], cli.env)
  t.match(bad.stderr, /^error: Request validation failed: querystring.round must match .* \(validation_failed\)\n$/)
  const noDefault = await runCli(['days'], cli.env)
  t.equal(noDefault.stderr, 'error: Not found: workflow "topup_standard_workflow" not found (not_found)\n')
})

t.test('tables: English or Chinese by the locale', async (t) => {
  const en = await runCli(['tasks', '--workflow', 'typed_flow'], cli.env)
  t.match(en.stdout, /^ID +STATUS +WORKFLOW +NAME +PROGRESS +UPDATED +REASON\n\d+ +\S+ +typed_flow /)
  const zh = await runCli(['tasks', '--workflow', 'typed_flow'], { ...cli.env, LANG: 'en_US.UTF-8', LC_ALL: 'zh_CN.UTF-8' })
  t.match(zh.stdout, /^编号 +状态 +工作流 +名称 +进度 +更新时间 +原因\n\d+ +\S+ +typed_flow /, 'LC_ALL wins over LANG')
  const bad = await runCli(['tasks', '--status', 'sleeping'], cli.env)
  t.equal(bad.code, 1)
  t.match(bad.stderr, /^error: Request validation failed: .*status.* \(validation_failed\)\n$/)
})


function runScript(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string }> {
  const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout })))
}
