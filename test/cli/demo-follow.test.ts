import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { eventSeqs, runCli, startCliServer } from './cli-process.js'

t.test('run --follow to the review gate, the PDF saved, resume, follow to the end', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { server, env } = await startCliServer(t, dir)

  const run = await runCli(['run', 'demo_topup_first_stage', '-p', 'date_param=250624', '-p', 'runs=3', '--follow'], env)
  t.equal(run.code, 2, `exit 2 at the review pause (stderr: ${run.stderr})`)
  const created = /^task (\d+) created: .* \((queued|running|pending)\)$/m.exec(run.stdout)
  t.ok(created, run.stdout.split('\n')[0] ?? '')
  const id = Number(created![1])
  const seqs = eventSeqs(run.stdout)
  const task = await server.api<{ status: string; status_reason: string; last_seq: number; parameters: Record<string, unknown> }>('GET', `/api/tasks/${id}`)
  t.match(task.body, { status: 'paused', status_reason: /^waiting for review/ })
  t.same(task.body.parameters.runs, 3, '-p runs=3 was sent as a number')
  t.same(seqs, seqs.map((_, i) => i + 1), 'every event once, in order, from seq 1')
  t.ok(seqs.length > 20 && seqs.length <= task.body.last_seq, `${seqs.length} events, up to the pause`)
  t.match(run.stdout, /STEP +wait success/)
  t.match(run.stdout, /OUTPUT +wait\.complete = \[.+\]/)
  t.match(run.stdout.trim().split('\n').at(-1), /STATUS +running → paused \(waiting for review\)$/)
  t.match(run.stderr, new RegExp(`task ${id} is waiting for review.*topup resume ${id}`))
  t.notMatch(run.stdout, /\x1b\[/, 'no colour when stdout is not a terminal')

  const listed = await runCli(['artifacts', String(id)], env)
  t.equal(listed.code, 0, listed.stderr)
  t.match(listed.stdout, /mergedd_IST\.pdf +[\d.]+ (B|KiB) +application\/pdf +fetch_pdf/)
  const folder = join(dir, 'saved')
  const saved = await runCli(['artifacts', String(id), '--download', folder], env)
  t.equal(saved.code, 0, saved.stderr)
  t.same(readdirSync(folder), ['mergedd_IST.pdf'], 'saved under its name, no partial file left')
  const pdf = readFileSync(join(folder, 'mergedd_IST.pdf'))
  t.equal(pdf.subarray(0, 5).toString(), '%PDF-')
  const artifacts = await server.api<{ items: Array<{ sha256: string }> }>('GET', `/api/tasks/${id}/artifacts`)
  t.equal(createHash('sha256').update(pdf).digest('hex'), artifacts.body.items[0]!.sha256)

  const followedAgain = await runCli(['follow', String(id)], env)
  t.equal(followedAgain.code, 2, 'following a task that is still paused for review: its history, then exit 2')
  t.same(eventSeqs(followedAgain.stdout), Array.from({ length: task.body.last_seq }, (_, i) => i + 1),
    'the whole history up to the task\'s last seq when it was read')

  const resumed = await runCli(['resume', String(id)], env)
  t.equal(resumed.code, 0, resumed.stderr)
  t.match(resumed.stdout, new RegExp(`^task ${id}: (queued|running|success)`))
  const followed = await runCli(['follow', String(id), '--json'], env)
  t.equal(followed.code, 0, `exit 0 on success (stderr: ${followed.stderr})`)
  const events = followed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { seq: number; type: string; data: { status?: string } })
  t.same(events.map((e) => e.seq), events.map((_, i) => i + 1), '--json: one event per line, in order, the old review pause included')
  t.match(events.filter((e) => e.type === 'task.status').map((e) => e.data.status).slice(-4),
    ['paused', 'queued', 'running', 'success'], 'the history through the resume to the end')
  t.match(await server.waitForStatus(id, ['success']), { status: 'success' })

  const list = await runCli(['tasks', '--json', '--status', 'success'], env)
  t.equal(list.code, 0, list.stderr)
  t.match(JSON.parse(list.stdout), { items: [{ id, status: 'success', workflow_name: 'demo_topup_first_stage' }], total: 1 })
})
