import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { eventSeqs, runCli, startCli, startCliServer, createdTaskId, type CliServer } from './cli-process.js'

const dir = mkdtempSync(join(tmpdir(), 'topup-cli-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let cli: CliServer
t.before(async () => { cli = await startCliServer(t, dir) })

t.test('a failing task: follow shows why and exits 1', async (t) => {
  const r = await runCli(['run', 'fail_flow', '--follow'], cli.env)
  t.equal(r.code, 1, r.stderr)
  t.match(r.stdout, /INFO +\[stdout\] about to fail/)
  t.match(r.stdout, /STEP +breaks failed: /)
  t.match(r.stdout.trim().split('\n').at(-1), /STATUS +running → failed/)
  t.match(r.stderr, new RegExp(`task ${createdTaskId(r.stdout)} failed: `))
})

t.test('pause on request exits 3 (not a review), resume with a changed parameter, cancel exits 1', async (t) => {
  const created = await runCli(['run', 'wait_flow'], cli.env)
  const id = createdTaskId(created.stdout)
  const follow = startCli(['follow', String(id)], cli.env)
  await follow.waitFor('stdout', /STEP +wait started/)
  const paused = await runCli(['pause', String(id)], cli.env)
  t.equal(paused.code, 0, paused.stderr)
  const end = await follow.done
  t.equal(end.code, 3, `a pause on request: exit 3 (stderr: ${end.stderr})`)
  t.match(end.stderr, new RegExp(`task ${id} is paused: paused on request`))
  t.match(eventSeqs(end.stdout), eventSeqs(end.stdout).map((_, i) => i + 1))

  const misuse = await runCli(['pause', String(id), '--from-step', 'wait'], cli.env)
  t.equal(misuse.code, 64, 'usage error')
  t.match(misuse.stderr, /^error: -p and --from-step go with resume only\nusage: topup pause/)
  const unknownStep = await runCli(['resume', String(id), '--from-step', 'nowhere'], cli.env)
  t.equal(unknownStep.code, 1)
  t.match(unknownStep.stderr, /^error: Unknown step: .*nowhere.* \(unknown_step\)\n$/)

  const resumed = startCli(['resume', String(id), '--from-step', 'wait', '--follow'], cli.env)
  await resumed.waitFor('stdout', /STATUS +paused → queued/)
  await cli.server.waitForStatus(id, ['running'])
  const cancelled = await runCli(['cancel', String(id)], cli.env)
  t.equal(cancelled.code, 0, cancelled.stderr)
  const after = await resumed.done
  t.equal(after.code, 1, `cancelled: exit 1 (stderr: ${after.stderr})`)
  t.match(after.stdout, new RegExp(`^task ${id}: (queued|running)`), 'the resume\'s answer first')
  t.match(after.stdout, /STATUS +\w+ → cancelled/)
  t.match(after.stderr, new RegExp(`task ${id} was cancelled`))
})
