import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { startSshSite, withoutNoise } from '../helpers/ssh-site.js'
import { siteProvider, runCollect } from './site-provider.js'
import { TransportError } from '../../src/remote/transport.js'
import { isAbortError } from '../../src/remote/abort-error.js'

// sleep durations unique to this run: another copy of the suite may run on this machine at the same time
const uniq = String(100000 + Math.floor(Math.random() * 800000))
const site = await startSshSite(t, { maxSessions: 4 })
const { provider } = siteProvider(t, site, { ssh: { killGraceMs: 500 } })
const target = provider.transportFor('target')

t.test('exit code, signal, stdout and stderr lines, pgid reported first', async (t) => {
  let pgid = 0
  const lines: string[] = []
  const r = await target.run({
    command: 'echo one; echo two >&2; printf "no newline"; exit 7', signal: AbortSignal.timeout(30_000),
    onStart: (info) => { pgid = info.pgid; lines.push('<start>') },
    // the login noise comes first: the login shell prints it before the command starts
    onLine: (stream, line) => { for (const own of withoutNoise([line])) lines.push(`${stream}:${own}`) },
  })
  t.same(r, { exitCode: 7, signal: null })
  t.ok(pgid > 1)
  t.equal(lines[0], '<start>', 'the process group is known before any output')
  t.same(lines.slice(1).sort(), ['stderr:two', 'stdout:no newline', 'stdout:one'])
  const killed = await runCollect(provider, 'target', 'kill -KILL $$')
  t.same([killed.exitCode, killed.signal], [null, 'SIGKILL'])
})

t.test('Chinese text survives chunk boundaries', async (t) => {
  const r = await runCollect(provider, 'target', `s=$(printf '中文测试%.0s' {1..10000}); echo "$s"; echo "$s" >&2; echo 完成`)
  const expected = '中文测试'.repeat(10000)
  t.equal(r.stdout[0], expected)
  t.equal(r.stderr[0], expected)
  t.equal(r.stdout[1], '完成')
})

t.test('200 MB of output: no deadlock, bounded memory', async (t) => {
  let lines = 0
  let bytes = 0
  let peak = 0
  const before = process.memoryUsage().rss
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss - before) }, 50)
  const r = await target.run({
    command: `yes 'Topup line of calibration output 0123456789 abcdefghijklmnopqrstuvwxyz ------------------' | head -c 209715200`,
    signal: AbortSignal.timeout(110_000),
    onLine: (_s, line) => { for (const own of withoutNoise([line])) { lines++; bytes += own.length + 1 } },
  })
  clearInterval(timer)
  t.equal(r.exitCode, 0)
  t.ok(Math.abs(bytes - 209715200) <= 1, 'every byte arrived (the last line has no newline)')
  t.ok(lines > 2_000_000)
  t.ok(peak < 150 * 1024 * 1024, `resident memory grew by ${Math.round(peak / 1048576)} MB`)
})

t.test('more concurrent commands than channels: all complete, never more than the budget open', async (t) => {
  const { provider: small } = siteProvider(t, site, { extraHosts: { target: { ...site.hosts.target, max_sessions: 3 } } })
  let running = 0
  let most = 0
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => small.transportFor('target').run({
    command: `sleep 0.2; echo done ${i}`, signal: AbortSignal.timeout(60_000),
    onStart: () => { most = Math.max(most, ++running) },
    onLine: (_stream, line) => { if (line.startsWith('done ')) running-- },
  })))
  t.ok(results.every((r) => r.exitCode === 0), 'all 12 succeeded (sshd MaxSessions is 4)')
  t.equal(most, 3)
})

t.test('cancel kills the whole process group on the target', async (t) => {
  const ac = new AbortController()
  const run = target.run({
    command: `sleep ${uniq}1 & sleep ${uniq}2; echo never`, signal: ac.signal,
    onStart: () => setTimeout(() => ac.abort('cancel'), 200),
  })
  t.ok(isAbortError(await run.then(() => null, (e: unknown) => e)), 'the run rejects with an AbortError')
  t.same(site.targetProcesses(`^sleep ${uniq}[12]`), [], 'no process left on the target')
})

t.test('cancel of a command that ignores TERM ends with KILL', async (t) => {
  const ac = new AbortController()
  const run = target.run({
    command: `trap '' TERM; sleep ${uniq}3; echo after`, signal: ac.signal,
    onStart: () => setTimeout(() => ac.abort('cancel'), 200),
  })
  t.ok(isAbortError(await run.then(() => null, (e: unknown) => e)), 'the run rejects with an AbortError')
  t.same(site.targetProcesses(`^sleep ${uniq}3`), [])
})

t.test('connection killed mid-command: connection_lost; the group can be killed from a new connection', async (t) => {
  let pgid = 0
  const run = target.run({
    command: `echo begin; sleep ${uniq}4; echo end`, signal: AbortSignal.timeout(30_000),
    onStart: (info) => { pgid = info.pgid },
    onLine: (_s, line) => { if (line === 'begin') site.dropConnections() },
  })
  const error = await run.then(() => null, (e: unknown) => e)
  t.ok(error instanceof TransportError && error.kind === 'connection_lost' && error.retryable, String(error))
  // bash may fork the sleep a moment after it printed "begin"
  for (let i = 0; i < 100 && site.targetProcesses(`^sleep ${uniq}4`).length === 0; i++) await delay(20)
  t.equal(site.targetProcesses(`^sleep ${uniq}4`).length, 1, 'closing the connection killed nothing')
  await target.killProcessGroup(pgid, 'KILL')
  t.same(site.targetProcesses(`^sleep ${uniq}4`), [])
  t.equal((await runCollect(provider, 'target', 'echo again')).stdout[0], 'again', 'the pool reconnected')
})

t.test('fetchFile over SFTP', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-fetch-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const name = `fetch-${process.pid}.txt`
  await runCollect(provider, 'target', `printf '中文 data\\n' > ~/${name}`)
  const stat = await target.fetchFile(`~/${name}`, join(dir, 'f.txt'), AbortSignal.timeout(30_000))
  t.equal(readFileSync(join(dir, 'f.txt'), 'utf8'), '中文 data\n')
  t.equal(stat.size, Buffer.byteLength('中文 data\n'))
  await runCollect(provider, 'target', `rm -f ~/${name}`)
  const missing = await target.fetchFile('~/no-such-file', join(dir, 'g.txt'), AbortSignal.timeout(30_000)).catch((e: unknown) => e)
  t.ok(missing instanceof TransportError && missing.kind === 'file_not_found' && !missing.retryable)
})

t.test('pooled exec through the jump reuses one connection (speed figures: npm run bench)', async (t) => {
  const ready: string[] = []
  const logger = { info: (o: object, m?: string) => { if (m === 'ssh connection ready') ready.push((o as { host: string }).host) }, warn: () => {}, debug: () => {} }
  const { createTransportProvider } = await import('../../src/remote/transport-provider.js')
  const p = createTransportProvider({ config: { HOSTS_FILE: site.writeHostsFile(), KNOWN_HOSTS_FILE: site.writeKnownHosts(), KNOWN_HOSTS_POLICY: 'strict' },
    db: (await import('../helpers/db.js')).freshDatabase(t).db, env: site.env, logger })
  t.teardown(() => p.close())
  const times: number[] = []
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now()
    await p.transportFor('target').run({ command: 'true', signal: AbortSignal.timeout(30_000) })
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  t.comment(`pooled exec of true through the jump: median ${times[15]!.toFixed(1)} ms (first ${Math.round(Math.max(...times))} ms)`)
  t.same(ready.sort(), ['jump', 'target'], 'one connection per hop for 30 commands')
})
