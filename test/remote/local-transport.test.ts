import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import { LineSplitter } from '../../src/remote/line-splitter.js'
import { isAbortError, type AbortError } from '../../src/remote/abort-error.js'
import { processIsRunning, processStartTime, signalProcessGroup } from '../../src/remote/local/process-group.js'
import { TransportError } from '../../src/remote/transport.js'
import { shellQuote } from '../../src/shell-quote.js'

const transport = new LocalTransport({ killGraceMs: 300 })

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'topup-local-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
type Line = [stream: string, line: string]

t.test('lines stream live, in order, per stream', async (t) => {
  const flag = join(tempDir(t), 'go')
  const lines: Line[] = []
  const controller = new AbortController()
  let seenFirst!: () => void
  const first = new Promise<void>((resolve) => { seenFirst = resolve })
  const run = transport.run({
    command: `echo one; echo two; echo err >&2; for i in $(seq 1 400); do [ -e ${shellQuote(flag)} ] && break; sleep 0.05; done; echo three; printf 'no newline'`,
    signal: controller.signal,
    onLine: (stream, line) => {
      lines.push([stream, line])
      if (line === 'two') seenFirst()
    },
  })
  await first
  t.same(lines.filter(([s]) => s === 'stdout'), [['stdout', 'one'], ['stdout', 'two']], 'lines arrive before the command ends')
  writeFileSync(flag, '')
  t.same(await run, { exitCode: 0, signal: null })
  t.same(lines.filter(([s]) => s === 'stdout').map(([, l]) => l), ['one', 'two', 'three', 'no newline'])
  t.same(lines.filter(([s]) => s === 'stderr').map(([, l]) => l), ['err'])
})

t.test('exit codes and signals', async (t) => {
  const signal = new AbortController().signal
  t.same(await transport.run({ command: 'exit 3', signal }), { exitCode: 3, signal: null })
  t.same(await transport.run({ command: 'true', signal }), { exitCode: 0, signal: null })
  t.same(await transport.run({ command: 'kill -KILL $$', signal }), { exitCode: null, signal: 'SIGKILL' })
  let pgid = 0
  await transport.run({ command: 'echo $$', signal, onStart: (info) => { pgid = info.pgid }, onLine: (_s, l) => t.equal(Number(l), pgid, 'pgid is the shell') })
  t.ok(pgid > 1)
})

t.test('abort kills the whole process tree, grandchildren and TERM-ignorers included', async (t) => {
  const controller = new AbortController()
  const pids: number[] = []
  let pgid = 0
  const command = [
    'sleep 300 & echo "pid $!"',
    '( sleep 300 & echo "pid $!"; wait ) & echo "pid $!"',
    `bash -c 'trap "" TERM; echo "pid $$"; while :; do sleep 0.05; done' &`,
    'echo "pid $$"',
    'wait',
  ].join('\n')
  const run = transport.run({
    command, signal: controller.signal,
    onStart: (info) => { pgid = info.pgid },
    onLine: (_s, line) => {
      const m = /^pid (\d+)$/.exec(line)
      if (m) pids.push(Number(m[1]))
      if (pids.length === 5) controller.abort('cancel')
    },
  })
  const error = await run.then(() => null, (e: unknown) => e)
  t.ok(isAbortError(error), 'rejects with an AbortError')
  t.equal((error as AbortError).reason, 'cancel', 'carrying the reason')
  t.equal(pids.length, 5)
  t.ok(pids.includes(pgid))
  for (const pid of pids) t.notOk(processIsRunning(pid), `pid ${pid} is gone`)
})

t.test('an aborted signal never starts the command', async (t) => {
  const dir = tempDir(t)
  const controller = new AbortController()
  controller.abort('pause')
  await t.rejects(transport.run({ command: `touch ${shellQuote(join(dir, 'x'))}`, signal: controller.signal }), { name: 'AbortError', reason: 'pause' })
  const r = await transport.run({ command: `[ -e ${shellQuote(join(dir, 'x'))} ]`, signal: new AbortController().signal })
  t.equal(r.exitCode, 1)
})

t.test('50 MB of output streams with bounded memory', async (t) => {
  globalThis.gc?.()
  const before = process.memoryUsage()
  let peakHeap = before.heapUsed
  let peakRss = before.rss
  let lines = 0
  let chars = 0
  const line = 'BESIII top-up calibration output line 0123456789'
  const result = await transport.run({
    command: `yes ${shellQuote(line)} | head -c 50000000; echo; printf '%.0sx' $(seq 1 300000); echo`,
    signal: new AbortController().signal,
    onLine: (_s, l) => {
      lines++
      chars += l.length
      if (lines % 50000 === 0) {
        const m = process.memoryUsage()
        peakHeap = Math.max(peakHeap, m.heapUsed)
        peakRss = Math.max(peakRss, m.rss)
      }
    },
  })
  t.same(result, { exitCode: 0, signal: null })
  t.ok(lines > 1_000_000, `${lines} lines`)
  t.ok(chars > 45_000_000, `${chars} characters delivered`)
  const heapGrowth = (peakHeap - before.heapUsed) / 1e6
  const rssGrowth = (peakRss - before.rss) / 1e6
  t.ok(heapGrowth < 60, `heap grew ${heapGrowth.toFixed(1)} MB`)
  t.ok(rssGrowth < 150, `rss grew ${rssGrowth.toFixed(1)} MB`)
})

t.test('a very long line is cut, not buffered', async (t) => {
  const lines: string[] = []
  const small = new LocalTransport({ maxLineLength: 1000 })
  await small.run({
    command: `head -c 5000000 /dev/zero | tr '\\0' 'a'; echo; echo next`,
    signal: new AbortController().signal,
    onLine: (_s, l) => lines.push(l),
  })
  t.equal(lines.length, 2)
  t.ok(lines[0]!.startsWith('a'.repeat(1000) + ' … [line cut: 4999000 more characters]'))
  t.equal(lines[1], 'next')
})

t.test('Chinese text survives chunk boundaries', async (t) => {
  const text = '事例过滤器的常数需要每天刻度：注入本底 ✓ 𝔹𝔼𝕊'
  const bytes = Buffer.from(`${text}\n${text}\r\n${text}`)
  for (const size of [1, 2, 3, 5, 7]) {
    const got: string[] = []
    const splitter = new LineSplitter((l) => got.push(l))
    for (let i = 0; i < bytes.length; i += size) splitter.push(bytes.subarray(i, i + size))
    splitter.end()
    t.same(got, [text, text, text], `chunks of ${size} byte(s)`)
  }
  const got: string[] = []
  const cut = new LineSplitter((l) => got.push(l), { maxLineLength: 3 })
  cut.push(Buffer.from('a𝔹𝔼\n'))
  cut.end()
  t.same(got, ['a𝔹 … [line cut: 2 more characters]'], 'a cut never splits a surrogate pair')

  const lines: string[] = []
  await transport.run({
    command: `for i in $(seq 1 20000); do printf '%s\\n' ${shellQuote(text)}; done`,
    signal: new AbortController().signal,
    onLine: (_s, l) => lines.push(l),
  })
  t.equal(lines.length, 20000)
  t.ok(lines.every((l) => l === text), 'every line decoded whole through the pipe')
})

t.test('killProcessGroup and fetchFile', async (t) => {
  const dir = tempDir(t)
  const controller = new AbortController()
  let pgid = 0
  const run = transport.run({
    command: 'sleep 300 & wait', signal: controller.signal,
    onStart: (info) => { pgid = info.pgid; void transport.killProcessGroup(pgid, 'KILL') },
  })
  t.same(await run, { exitCode: null, signal: 'SIGKILL' })
  await transport.killProcessGroup(pgid, 'TERM')
  t.throws(() => signalProcessGroup(1, 'SIGTERM'), /refusing/)

  writeFileSync(join(dir, 'merged IST.pdf'), 'x'.repeat(1234))
  const stat = await transport.fetchFile(join(dir, 'merged IST.pdf'), join(dir, 'copy.pdf'), controller.signal)
  t.same(stat, { path: join(dir, 'copy.pdf'), size: 1234 })
  const missing = await transport.fetchFile(join(dir, 'none'), join(dir, 'c2'), controller.signal).catch((e: unknown) => e)
  t.ok(missing instanceof TransportError)
  t.equal((missing as TransportError).kind, 'file_not_found')
})

t.test('killProcessGroup with a recorded start time leaves a reused pid alone', async (t) => {
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' })
  const exited = once(child, 'exit')
  await once(child, 'spawn')
  const pgid = child.pid!
  t.teardown(() => { try { process.kill(-pgid, 'SIGKILL') } catch { /* gone */ } })
  const startTime = processStartTime(pgid)!
  t.match(startTime, /^\d+$/)
  await transport.killProcessGroup(pgid, 'TERM', String(Number(startTime) + 1))
  t.ok(processIsRunning(pgid), 'another start time: another process, not signalled')
  await transport.killProcessGroup(pgid, 'TERM', startTime)
  t.same(await exited, [null, 'SIGTERM'], 'the recorded process was signalled')
})

t.test('onStart tells the start time of the group leader', async (t) => {
  let info: { pgid: number; startTime?: string } | null = null
  await transport.run({ command: 'true', signal: AbortSignal.timeout(10_000), onStart: (i) => { info = i } })
  t.match(info, { pgid: Number, startTime: /^\d+$/ })
})

t.test('a spawner that dies fails its run clearly, stops the command, and the next run gets a fresh spawner', async (t) => {
  let spawnerPid = 0
  let sleeper = 0
  let pgid = 0
  const run = transport.run({
    command: 'echo "spawner $PPID"; sleep 300 & echo "pid $!"; wait',
    signal: new AbortController().signal,
    onStart: (info) => { pgid = info.pgid },
    onLine: (_s, line) => {
      const m = /^(spawner|pid) (\d+)$/.exec(line)
      if (m?.[1] === 'spawner') spawnerPid = Number(m[2])
      if (m?.[1] === 'pid') { sleeper = Number(m[2]); process.kill(spawnerPid, 'SIGKILL') }
    },
  })
  const error = await run.then(() => null, (e: unknown) => e)
  t.ok(error instanceof TransportError, 'the run rejects with a TransportError')
  t.equal((error as TransportError).kind, 'connection_lost')
  t.equal((error as TransportError).retryable, false, 'not retryable: the command may have done part of its work')
  t.match((error as Error).message, new RegExp(`spawner \\(pid ${spawnerPid}\\) was killed by SIGKILL while the command ran; its process group ${pgid} was stopped`))
  t.notOk(processIsRunning(pgid), 'the shell is gone')
  t.notOk(processIsRunning(sleeper), 'and so is its child')

  const lines: string[] = []
  t.same(await transport.run({ command: 'echo $PPID', signal: new AbortController().signal, onLine: (_s, l) => lines.push(l) }),
    { exitCode: 0, signal: null })
  t.ok(Number(lines[0]) > 1 && Number(lines[0]) !== spawnerPid, 'a fresh spawner started the next command')
})

t.test('commands do not start in the server process', async (t) => {
  const lines: string[] = []
  await transport.run({ command: 'echo $PPID', signal: new AbortController().signal, onLine: (_s, l) => lines.push(l) })
  t.not(Number(lines[0]), process.pid, 'the spawner is their parent')
})
