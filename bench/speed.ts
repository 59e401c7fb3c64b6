/**
 * `npx tsx bench/speed.ts`: the REST and log-ingest measures of the speed issue, each beside its baseline, A/B
 * alternating over several rounds; prints one table of medians and ratios and writes bench/results.json.
 *
 * REST: GET /api/tasks/{id}, GET /api/tasks?limit=50 (1000 tasks) and POST /api/tasks against the real app
 * (buildApp on a real SQLite file, in a process of its own), with and without the prepared-statement cache, and a
 * bare Fastify route answering the same bodies; BENCH_CONNECTIONS keep-alive loops (50) for BENCH_SECONDS (3)
 * per measure and round. Log ingest: BENCH_LOG_LINES lines (200,000) through the engine's EventStore, with and
 * without the cache, and the raw batched insert of the same rows. BENCH_ROUNDS rounds (3).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ingest, type IngestVariant } from './speed/ingest.js'
import { load, type LoadFigure, type LoadTarget } from './speed/load.js'
import { createBody, TASKS } from './speed/fixture.js'

const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const logLines = Number(process.env.BENCH_LOG_LINES ?? 200_000)

interface ServerInfo { port: number; token?: string; taskId?: number }
const children: ChildProcess[] = []
const dir = mkdtempSync(join(tmpdir(), 'topup-bench-speed-'))

async function start(mode: string, arg: string): Promise<ServerInfo> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('speed/server.ts', import.meta.url)), mode, arg],
    { stdio: ['pipe', 'pipe', 'inherit'] })
  children.push(child)
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${mode} server exited (${code})`))))
  const line = createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()
  const { value } = await Promise.race([line, exited])
  return JSON.parse(value as string) as ServerInfo
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2 }

/** Each round runs every variant once, in an order that turns each round, so no variant always goes first. */
function* alternating<V>(variants: readonly V[]): Generator<V> {
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < variants.length; i++) yield variants[(i + round) % variants.length]!
  }
}

try {
  const topupDir = join(dir, 'topup'), uncachedDir = join(dir, 'uncached')
  mkdirSync(topupDir); mkdirSync(uncachedDir)
  const servers = { topup: await start('topup', topupDir), 'topup-uncached': await start('topup-uncached', uncachedDir) } as Record<string, ServerInfo>
  const auth = (s: ServerInfo) => ({ authorization: `Bearer ${s.token!}` })
  const targets = (s: ServerInfo): Record<string, Omit<LoadTarget, 'port'>> => ({
    [`GET /api/tasks/{id}`]: { method: 'GET', path: `/api/tasks/${s.taskId ?? 1}`, headers: s.token ? auth(s) : {}, status: 200 },
    [`GET /api/tasks?limit=50 (${TASKS} tasks)`]: { method: 'GET', path: '/api/tasks?limit=50', headers: s.token ? auth(s) : {}, status: 200 },
    'POST /api/tasks': { method: 'POST', path: '/api/tasks', headers: s.token ? auth(s) : {}, body: JSON.stringify(createBody), status: 201 },
  })

  // the bare routes answer what the app answers
  const topup = servers.topup!
  const fetchBody = async (t: Omit<LoadTarget, 'port'>) => {
    const res = await fetch(`http://127.0.0.1:${topup.port}${t.path}`, { method: t.method, headers: { ...t.headers, ...(t.body ? { 'content-type': 'application/json' } : {}) }, ...(t.body ? { body: t.body } : {}) })
    if (res.status !== t.status) throw new Error(`${t.method} ${t.path}: ${res.status} ${await res.text()}`)
    return res.json()
  }
  const [detail, list, created] = await Promise.all(Object.values(targets(topup)).map(fetchBody))
  const bodiesFile = join(dir, 'bodies.json')
  writeFileSync(bodiesFile, JSON.stringify({ detail, list, created }))
  servers.bare = await start('bare', bodiesFile)

  const variants = ['bare', 'topup-uncached', 'topup'] as const
  const rest: Record<string, Record<string, LoadFigure[]>> = {}
  const bytes: Record<string, number> = {}
  for (const [measure, target] of Object.entries(targets(topup))) {
    bytes[measure] = Buffer.byteLength(JSON.stringify(await fetchBody(target)))
    rest[measure] = Object.fromEntries(variants.map((v) => [v, []]))
    for (const v of variants) await load({ ...targets(servers[v]!)[measure]!, port: servers[v]!.port }, connections, 1) // warm-up
    for (const v of alternating(variants)) {
      rest[measure]![v]!.push(await load({ ...targets(servers[v]!)[measure]!, port: servers[v]!.port }, connections, seconds))
    }
  }
  for (const child of children) child.stdin!.end()

  const ingestVariants: readonly IngestVariant[] = ['raw', 'event-store-uncached', 'event-store']
  const ingestRuns: Record<string, number[]> = Object.fromEntries(ingestVariants.map((v) => [v, []]))
  let run = 0
  for (const v of alternating(ingestVariants)) {
    const runDir = join(dir, `ingest-${run++}`)
    mkdirSync(runDir)
    ingestRuns[v]!.push(await ingest(v, runDir, logLines))
    rmSync(runDir, { recursive: true, force: true })
  }

  // the table: medians, each ratio against the baseline measured beside it
  const fmt = (n: number) => n >= 10_000 ? `${(n / 1000).toFixed(1)} k` : n >= 1000 ? `${(n / 1000).toFixed(2)} k` : n.toFixed(0)
  const rows: Record<string, unknown>[] = []
  const table: string[][] = [['measure', 'baseline', 'Topup, no statement cache', 'Topup', 'ratio (no cache)', 'ratio']]
  for (const [measure, byVariant] of Object.entries(rest)) {
    const m = (v: string) => ({ perSecond: median(byVariant[v]!.map((f) => f.perSecond)), p99Ms: median(byVariant[v]!.map((f) => f.p99Ms)) })
    const [b, u, c] = [m('bare'), m('topup-uncached'), m('topup')]
    const cell = (f: { perSecond: number; p99Ms: number }) => `${fmt(f.perSecond)} req/s, p99 ${f.p99Ms.toFixed(1)} ms`
    table.push([`${measure}, ${bytes[measure]} B`, cell(b), cell(u), cell(c), (u.perSecond / b.perSecond).toFixed(2), (c.perSecond / b.perSecond).toFixed(2)])
    rows.push({ measure, bodyBytes: bytes[measure], unit: 'req/s', baseline: b, uncached: u, topup: c, ratio: c.perSecond / b.perSecond, ratioUncached: u.perSecond / b.perSecond, runs: byVariant })
  }
  const [raw, uncached, cached] = ingestVariants.map((v) => median(ingestRuns[v]!))
  const measure = `${logLines.toLocaleString('en')} log lines, no follower`
  table.push([measure, `${fmt(raw!)} lines/s`, `${fmt(uncached!)} lines/s`, `${fmt(cached!)} lines/s`, (uncached! / raw!).toFixed(2), (cached! / raw!).toFixed(2)])
  rows.push({ measure, unit: 'lines/s', baseline: raw, uncached, topup: cached, ratio: cached! / raw!, ratioUncached: uncached! / raw!, runs: ingestRuns })

  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform }
  console.log(`speed: medians of ${rounds} rounds, A/B alternating; ${connections} keep-alive connections, ${seconds} s a run; `
    + `${machine.cpus} × ${machine.cpu}, node ${machine.node}`)
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)))
  for (const [i, r] of table.entries()) {
    console.log(`| ${r.map((cell, j) => cell.padEnd(widths[j]!)).join(' | ')} |`)
    if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  }
  writeFileSync(new URL('results.json', import.meta.url), `${JSON.stringify({
    at: new Date().toISOString(), machine, settings: { rounds, seconds, connections, logLines, tasks: TASKS }, measures: rows,
  }, null, 2)}\n`)
} finally {
  for (const child of children) child.kill()
  rmSync(dir, { recursive: true, force: true })
}
