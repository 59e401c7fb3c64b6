import t from 'tap'
import { startSshSite } from '../helpers/ssh-site.js'
import { siteProvider, runCollect } from './site-provider.js'
import { runDetached, type DetachedHandle, type DetachedProgress } from '../../src/remote/detached.js'
import { isAbortError } from '../../src/remote/abort-error.js'
import { LocalTransport } from '../../src/remote/local/local-transport.js'

// sleep durations unique to this run: another copy of the suite may run on this machine at the same time
const uniq = String(100000 + Math.floor(Math.random() * 800000))
const site = await startSshSite(t)
const { provider } = siteProvider(t, site)
const runId = `${process.pid}-${Date.now()}`
t.teardown(() => runCollect(provider, 'target', `rm -rf ~/.topup/runs/test-${runId}-*`).catch(() => {}))

t.test('a detached command survives a killed connection, runs once, and every line arrives once', async (t) => {
  const dir = `~/.topup/runs/test-${runId}-a`
  const lines: string[] = []
  let handle: DetachedHandle | null = null
  let dropped = false
  const result = await runDetached(provider.transportFor('target'), {
    dir, signal: AbortSignal.timeout(60_000),
    command: 'echo run >> ~/.topup/runs/' + `test-${runId}-a.count; for i in $(seq 1 20); do echo "行 $i"; sleep 0.05; done; echo err >&2; exit 4`,
    onHandle: (h) => { handle = h },
    onLine: (stream, line) => {
      lines.push(`${stream}:${line}`)
      if (line === '行 5' && !dropped) { dropped = true; site.dropConnections() }
    },
  })
  t.ok(dropped)
  t.equal(result.exitCode, 4)
  t.same(lines.filter((l) => l.startsWith('stdout:')), Array.from({ length: 20 }, (_, i) => `stdout:行 ${i + 1}`))
  t.same(lines.filter((l) => l.startsWith('stderr:')), ['stderr:err'])
  t.ok(handle && (handle as DetachedHandle).pgid > 1)
  t.same((await runCollect(provider, 'target', `cat ~/.topup/runs/test-${runId}-a.count`)).stdout, ['run'], 'ran exactly once')
})

t.test('after a restart it re-attaches from the saved offset and does not run again', async (t) => {
  const dir = `~/.topup/runs/test-${runId}-b`
  const first = siteProvider(t, site).provider
  const ac = new AbortController()
  let saved: DetachedProgress | null = null
  const seen: string[] = []
  const run = runDetached(first.transportFor('target'), {
    dir, signal: ac.signal,
    command: `echo start >> ~/.topup/runs/test-${runId}-b.count; for i in $(seq 1 30); do echo "line $i"; sleep 0.05; done`,
    onProgress: (p) => { saved = p },
    onLine: (_s, line) => { seen.push(line); if (line === 'line 10') ac.abort('shutdown') },
  })
  t.ok(isAbortError(await run.then(() => null, (e: unknown) => e)), 'shutdown stops following')
  first.close()
  t.ok(saved, 'the offset was saved')
  const second = siteProvider(t, site).provider
  const rest: string[] = []
  const result = await runDetached(second.transportFor('target'), {
    dir, signal: AbortSignal.timeout(60_000), resumeFrom: saved, command: 'echo must-not-run',
    onLine: (_s, line) => rest.push(line),
  })
  t.equal(result.exitCode, 0)
  t.same([...seen, ...rest], Array.from({ length: 30 }, (_, i) => `line ${i + 1}`), 'no line lost or repeated')
  t.same((await runCollect(second, 'target', `cat ~/.topup/runs/test-${runId}-b.count`)).stdout, ['start'])
})

t.test('cancel kills the detached process group', async (t) => {
  const ac = new AbortController()
  const run = runDetached(provider.transportFor('target'), {
    dir: `~/.topup/runs/test-${runId}-c`, signal: ac.signal,
    command: `echo up; sleep ${uniq}1 & sleep ${uniq}2`,
    onLine: (_s, line) => { if (line === 'up') ac.abort('cancel') },
  })
  t.ok(isAbortError(await run.then(() => null, (e: unknown) => e)))
  t.same(site.targetProcesses(`^sleep ${uniq}[12]`), [])
})

t.test('pause only stops following; the command goes on', async (t) => {
  const ac = new AbortController()
  const dir = `~/.topup/runs/test-${runId}-d`
  const run = runDetached(provider.transportFor('target'), {
    dir, signal: ac.signal, command: `echo up; sleep ${uniq}3; echo done`,
    onLine: (_s, line) => { if (line === 'up') ac.abort('pause') },
  })
  t.ok(isAbortError(await run.then(() => null, (e: unknown) => e)))
  t.equal(site.targetProcesses(`^sleep ${uniq}3`).length, 1)
  for (const pid of site.targetProcesses(`^sleep ${uniq}3`)) process.kill(pid, 'SIGKILL')
})

t.test('works on the local transport too', async (t) => {
  const base = `/tmp/topup-detached-${runId}`
  t.teardown(() => import('node:fs').then((fs) => fs.rmSync(base, { recursive: true, force: true })))
  const lines: string[] = []
  const result = await runDetached(new LocalTransport(), {
    dir: `${base}/x`, signal: AbortSignal.timeout(30_000), command: 'echo a; echo b >&2; exit 2',
    onLine: (s, l) => lines.push(`${s}:${l}`),
  })
  t.equal(result.exitCode, 2)
  t.same(lines.sort(), ['stderr:b', 'stdout:a'])
})
