import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runDetached, type DetachedProgress } from '../../src/remote/detached.js'
import { isAbortError } from '../../src/remote/abort-error.js'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import { liveGroupMembers, waitForGroupExit } from '../../src/remote/local/process-group.js'
import type { Transport } from '../../src/remote/transport.js'

// Detached runs on the local transport (real processes): a cancel that lands while the start script runs, and
// offsets that stay exact through CRLF, invalid UTF-8 and cut lines.
const base = mkdtempSync(join(tmpdir(), 'topup-detached-local-'))
t.teardown(() => rmSync(base, { recursive: true, force: true }))

t.test('a cancel during the start kills the command the start script launched', async (t) => {
  const dir = join(base, 'start')
  const local = new LocalTransport()
  const ac = new AbortController()
  // aborts once the start script has launched the command and is about to report it
  const cancelling: Transport = {
    host: local.host,
    run: (req) => local.run({ ...req, onLine: (stream, line, bytes) => {
      req.onLine?.(stream, line, bytes)
      if (/^@@TOPUP-\w+ V \d+ \d+$/.test(line)) ac.abort('cancel')
    } }),
    killProcessGroup: (pgid, signal, startTime) => local.killProcessGroup(pgid, signal, startTime),
    fetchFile: (a, b, s) => local.fetchFile(a, b, s),
  }
  const error = await runDetached(cancelling, { dir, signal: ac.signal, command: 'sleep 60' }).then(() => null, (e: unknown) => e)
  t.ok(isAbortError(error), String(error))
  const pgid = Number(readFileSync(join(dir, 'pid'), 'utf8').split(' ')[0])
  t.teardown(() => { try { process.kill(-pgid, 'SIGKILL') } catch { /* gone */ } })
  t.ok(pgid > 1)
  t.ok(await waitForGroupExit(pgid, 5000), 'the launched command was killed')
  t.match(error, { kill: { pgid, error: null } }, 'the abort says which group was killed')
})

t.test('re-attaching after CRLF, invalid UTF-8 and cut lines neither repeats nor skips anything', async (t) => {
  const dir = join(base, 'crlf')
  const command = `for i in $(seq 1 30); do printf 'line %s\\r\\n' $i; ` +
    `[ $i = 4 ] && printf 'bad \\xff\\xfe byte\\r\\n'; [ $i = 6 ] && printf '%0100d\\r\\n' 7; sleep 0.02; done`
  const transport = new LocalTransport({ maxLineLength: 40 })
  const ac = new AbortController()
  let saved: DetachedProgress | null = null
  const seen: string[] = []
  const first = runDetached(transport, {
    dir, signal: ac.signal, command,
    onProgress: (p) => { saved = p },
    onLine: (_s, line) => { seen.push(line); if (line === 'line 10') ac.abort('shutdown') },
  })
  t.ok(isAbortError(await first.then(() => null, (e: unknown) => e)), 'shutdown stops following')
  t.ok(saved)
  const rest: string[] = []
  const result = await runDetached(transport, {
    dir, signal: AbortSignal.timeout(30_000), resumeFrom: saved, command: 'echo must-not-run',
    onLine: (_s, line) => rest.push(line),
  })
  t.equal(result.exitCode, 0)
  const expected: string[] = []
  for (let i = 1; i <= 30; i++) {
    expected.push(`line ${i}`)
    if (i === 4) expected.push('bad \ufffd\ufffd byte')
    if (i === 6) expected.push(`${'0'.repeat(40)} … [line cut: 61 more characters]`)
  }
  t.same([...seen, ...rest], expected, 'every line once, in order')
  t.equal(liveGroupMembers(Number(readFileSync(join(dir, 'pid'), 'utf8').split(' ')[0])).length, 0)
})
