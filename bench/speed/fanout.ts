/**
 * The live fan-out measures of the speed issue, each beside its baseline, A/B alternating over `rounds`:
 *
 * - BENCH_FANOUT_CLIENTS (1000) WebSocket followers of one task while it logs BENCH_FANOUT_LINES (2000) lines,
 *   BENCH_FANOUT_CHUNK (20) at a time every BENCH_FANOUT_EVERY_MS (50) ms (400 lines a second, a chatty step's output): delivered
 *   messages per second (from the first line produced to the last follower having the last line), the p99 delay
 *   from a line being logged to a follower having it, the server's peak RSS, and how much longer the producing
 *   task took than the same lines with nobody following. Baseline: a bare `ws` broadcast of the same messages to
 *   as many clients (bench/baselines/bare-ws.ts).
 * - BENCH_LOG_LINES (200,000) log lines through the EventStore with one live follower, in lines per second as
 *   the producer sees them (the follower must have them all too); baseline: the raw batched insert
 *   (bench/speed/ingest.ts).
 *
 * Servers run in a process of their own (bench/speed/fanout-server.ts); the followers run here. Every follower is
 * checked to get every line, in order. `npx tsx bench/speed/fanout.ts` prints the rows.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Followers } from './followers.js'
import type { Produce } from './fanout-server.js'
import { ingest } from './ingest.js'
import { alternating, median, type SpeedRow } from './row.js'

const CLIENTS = Number(process.env.BENCH_FANOUT_CLIENTS ?? 1000)
const LINES = Number(process.env.BENCH_FANOUT_LINES ?? 2000)
const CHUNK = Number(process.env.BENCH_FANOUT_CHUNK ?? 20)
const EVERY_MS = Number(process.env.BENCH_FANOUT_EVERY_MS ?? 50)
const LOG_LINES = Number(process.env.BENCH_LOG_LINES ?? 200_000)
/** The sub-protocols a follower offers: the batched one first, as the page does (a server without it picks v1). */
const PROTOCOLS = ['topup.v2', 'topup.v1']

interface Server {
  port: number
  token?: string
  ask<T>(command: Record<string, unknown>): Promise<T>
  stop(): Promise<void>
}

export async function startServer(mode: 'topup' | 'bare', dir: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('fanout-server.ts', import.meta.url)), mode, dir],
    { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${mode} server exited (${code})`))))
  exited.catch(() => {})
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const next = async () => JSON.parse((await Promise.race([lines.next(), exited])).value as string) as unknown
  const info = await next() as { port: number; token?: string }
  return {
    ...info,
    ask: async <T>(command: Record<string, unknown>) => { child.stdin!.write(`${JSON.stringify(command)}\n`); return await next() as T },
    stop: async () => { child.stdin!.end(); await exited.catch(() => {}) },
  }
}

export const target = (server: Server, taskId: number) => ({
  url: `ws://127.0.0.1:${server.port}${server.token ? '/api/ws' : '/'}`,
  protocols: server.token ? [...PROTOCOLS, `bearer.${server.token}`] : [],
  taskId,
})
const produce = (server: Server, taskId: number, lines: number, chunk: number, everyMs: number) =>
  server.ask<{ producerMs: number }>({ cmd: 'produce', taskId, lines, chunk, everyMs } satisfies Produce)

interface FanoutRun { perSecond: number; p50Ms: number; p99Ms: number; peakRssMb: number; resyncs: number; producerMs: number; quietProducerMs?: number }

export async function fanoutRun(mode: 'topup' | 'bare', dir: string): Promise<FanoutRun> {
  const server = await startServer(mode, dir)
  try {
    let quietProducerMs: number | undefined
    if (mode === 'topup') {
      // the same lines with nobody following, in the same server, for the producer's slow-down
      const { taskId } = await server.ask<{ taskId: number }>({ cmd: 'task' })
      quietProducerMs = (await produce(server, taskId, LINES, CHUNK, EVERY_MS)).producerMs
    }
    const { taskId } = await server.ask<{ taskId: number }>({ cmd: 'task' })
    const followers = new Followers(target(server, taskId), CLIENTS)
    await followers.open()
    try {
      await server.ask({ cmd: 'rss' })
      const started = performance.now()
      const all = followers.until(LINES)
      const { producerMs } = await produce(server, taskId, LINES, CHUNK, EVERY_MS)
      await all
      const seconds = (performance.now() - started) / 1000
      const { peakRss } = await server.ask<{ peakRss: number }>({ cmd: 'rss' })
      return {
        perSecond: (CLIENTS * LINES) / seconds, p50Ms: followers.delays.quantile(0.5), p99Ms: followers.delays.quantile(0.99),
        peakRssMb: peakRss / 2 ** 20, resyncs: followers.resyncs, producerMs, ...(quietProducerMs === undefined ? {} : { quietProducerMs }),
      }
    } finally {
      followers.close()
    }
  } finally {
    await server.stop()
  }
}

export async function ingestWithFollower(dir: string): Promise<{ perSecond: number; resyncs: number }> {
  const server = await startServer('topup', dir)
  try {
    const { taskId } = await server.ask<{ taskId: number }>({ cmd: 'task' })
    const follower = new Followers(target(server, taskId), 1)
    await follower.open()
    try {
      const all = follower.until(LOG_LINES)
      // as bench/speed/ingest.ts feeds the EventStore: a chunk of 1000 lines, then the event loop turns
      const { producerMs } = await produce(server, taskId, LOG_LINES, 1000, 0)
      await all
      return { perSecond: LOG_LINES / (producerMs / 1000), resyncs: follower.resyncs }
    } finally {
      follower.close()
    }
  } finally {
    await server.stop()
  }
}

const k = (n: number) => `${(n / 1000).toFixed(1)} k`

export async function fanoutRows(options: { rounds: number }): Promise<SpeedRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'topup-bench-fanout-'))
  let runs = 0
  const fresh = () => { const dir = join(root, String(runs++)); mkdirSync(dir); return dir }
  try {
    const fan: Record<'bare' | 'topup', FanoutRun[]> = { bare: [], topup: [] }
    for (const variant of alternating(['bare', 'topup'] as const, options.rounds)) fan[variant].push(await fanoutRun(variant, fresh()))
    const ing: Record<'raw' | 'follower', number[]> = { raw: [], follower: [] }
    let ingestResyncs = 0
    for (const variant of alternating(['raw', 'follower'] as const, options.rounds)) {
      if (variant === 'raw') ing.raw.push(await ingest('raw', fresh(), LOG_LINES))
      else {
        const run = await ingestWithFollower(fresh())
        ing.follower.push(run.perSecond)
        ingestResyncs += run.resyncs
      }
    }

    const m = (runs: FanoutRun[], key: keyof FanoutRun) => median(runs.map((r) => r[key] as number))
    const bare = { perSecond: m(fan.bare, 'perSecond'), p99Ms: m(fan.bare, 'p99Ms') }
    const topup = {
      perSecond: m(fan.topup, 'perSecond'), p50Ms: m(fan.topup, 'p50Ms'), p99Ms: m(fan.topup, 'p99Ms'), peakRssMb: m(fan.topup, 'peakRssMb'),
      slowdown: median(fan.topup.map((r) => r.producerMs / r.quietProducerMs! - 1)),
      resyncs: fan.topup.reduce((sum, r) => sum + r.resyncs, 0),
    }
    const fanRatio = topup.perSecond / bare.perSecond
    const raw = median(ing.raw), follower = median(ing.follower)
    return [
      {
        measure: `${CLIENTS} WebSocket followers, ${LINES} lines`,
        baseline: `bare ws broadcast, ${k(bare.perSecond)} msg/s, p99 ${bare.p99Ms} ms`,
        topup: `${k(topup.perSecond)} msg/s, p99 ${topup.p99Ms} ms, RSS ${topup.peakRssMb.toFixed(0)} MB, producer ${topup.slowdown < 0 ? '−' : '+'}${Math.abs(topup.slowdown * 100).toFixed(0)} %`,
        ratio: fanRatio,
        goal: '≥ 0.8, p99 ≤ 100 ms, RSS ≤ 400 MB, producer ≤ +20 %',
        met: fanRatio >= 0.8 && topup.p99Ms <= 100 && topup.peakRssMb <= 400 && topup.slowdown <= 0.2,
        figures: { clients: CLIENTS, lines: LINES, chunk: CHUNK, everyMs: EVERY_MS, bare, topup, runs: fan },
      },
      {
        measure: `${LOG_LINES.toLocaleString('en')} log lines, one live follower`,
        baseline: `raw batched insert, ${k(raw)} rows/s`,
        topup: `${k(follower)} lines/s`,
        ratio: follower / raw,
        goal: '≥ 0.7',
        met: follower / raw >= 0.7,
        figures: { lines: LOG_LINES, raw: ing.raw, follower: ing.follower, resyncs: ingestResyncs },
      },
    ]
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const rows = await fanoutRows({ rounds: Number(process.env.BENCH_ROUNDS ?? 3) })
  for (const row of rows) console.log(`${row.measure} | ${row.baseline} | ${row.topup} | ${row.ratio.toFixed(2)} | ${row.goal} | ${row.met ? 'met' : 'not met'}`)
  console.log(JSON.stringify(rows.map((r) => r.figures), null, 1))
}
