import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startServerProcess } from '../helpers/server-process.js'
import { createdTaskId, eventSeqs, runCli, startCli, startCliServer } from './cli-process.js'

t.test('follow survives a server restart: it reconnects and goes on from the last seq, nothing twice', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const first = await startCliServer(t, dir)
  const created = await runCli(['run', 'wait_flow'], first.env)
  const id = createdTaskId(created.stdout)
  const follow = startCli(['follow', String(id)], first.env)
  await follow.waitFor('stdout', /0\/1 complete/)

  first.server.child.kill('SIGKILL')
  await first.server.exited
  await follow.waitFor('stderr', /reconnecting\)/)
  // the same data, address and workflows: the wait goes on from its saved progress
  const port = new URL(first.server.base).port
  await startServerProcess(t, dir, {
    PORT: port, WORKFLOWS_DIR: join(dir, 'workflows'), TOPUP_VAR_WORK_DIR: join(dir, 'demo-work'),
  })
  // (its own `base` names the port it chose; ours is the first server's)
  await first.server.waitForStatus(id, ['running'])
  writeFileSync(join(first.work, `ready-${id}`), 'ready\n')

  const end = await follow.done
  t.equal(end.code, 0, `success after the restart (stderr: ${end.stderr})`)
  const seqs = eventSeqs(end.stdout)
  t.same(seqs, seqs.map((_, i) => i + 1), 'every event once, in order, across the reconnection')
  t.match(end.stdout, /INFO +\[stdout\] after the wait/)
  t.match(end.stdout.trim().split('\n').at(-1), /STATUS +running → success/)
})
