/**
 * `npx tsx bench/speed.ts` (the last part of `npm run bench`): every measure of the speed issue beside its
 * baseline, A/B alternating over BENCH_ROUNDS rounds (3), medians and ratios in one table, written to
 * bench/results.json. Each row's module says what it measures and how:
 * - REST (speed/rest.ts): task GET, list and create against the real app and a bare Fastify route;
 *   BENCH_CONNECTIONS keep-alive loops (50) for BENCH_SECONDS (3) a run.
 * - log ingest (speed/ingest-row.ts): BENCH_LOG_LINES lines (200,000) through the EventStore and raw.
 * - live fan-out (speed/fanout.ts): 1000 WebSocket followers of one task beside a bare `ws` broadcast, and log ingest
 *   with one live follower; BENCH_FANOUT_* size it.
 * - steps (speed/steps.ts): one task of BENCH_STEPS `exec true` steps (200) beside spawn plus the same rows, and the
 *   longest event-loop block at a step start.
 * - SSH (speed/ssh.ts): BENCH_RUNS commands (200) a round through the jump, pooled and ControlMaster, and
 *   BENCH_CLI_RUNS (30) fresh `ssh -J` for scale. Needs root (the test site's accounts and namespace).
 * A ratio is oriented so that higher is better (throughput against the baseline's, or the baseline's cost
 * against Topup's); its goal is the issue's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fanoutRows } from './speed/fanout.js'
import { ingestRow } from './speed/ingest-row.js'
import { restRows } from './speed/rest.js'
import type { SpeedRow } from './speed/row.js'
import { sshRow } from './speed/ssh.js'
import { stepRows } from './speed/steps.js'

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const rounds = setting('BENCH_ROUNDS', 3)
const settings = {
  rounds, seconds: setting('BENCH_SECONDS', 3), connections: setting('BENCH_CONNECTIONS', 50),
  logLines: setting('BENCH_LOG_LINES', 200_000), sshRuns: setting('BENCH_RUNS', 200), cliRuns: setting('BENCH_CLI_RUNS', 30),
  steps: setting('BENCH_STEPS', 200),
}

const dir = mkdtempSync(join(tmpdir(), 'topup-bench-speed-'))
const rows: SpeedRow[] = []
try {
  // first, while this process is small: the baseline forks ssh per command, and fork() slows with the heap
  rows.push(await sshRow({ rounds, runs: settings.sshRuns, cliRuns: settings.cliRuns }))
  rows.push(...await restRows({ rounds, seconds: settings.seconds, connections: settings.connections, dir }))
  rows.push(await ingestRow({ rounds, lines: settings.logLines, dir }))
  rows.push(...await fanoutRows({ rounds }))
  rows.push(...await stepRows({ rounds, steps: settings.steps }))
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform }
console.log(`speed: medians of ${rounds} rounds, A/B alternating; ${machine.cpus} × ${machine.cpu}, node ${machine.node}`)
const table = [['measure', 'baseline', 'Topup before', 'Topup', 'ratio', 'goal', 'met'],
  ...rows.map((r) => [r.measure, r.baseline, r.before ?? '', r.topup, r.ratio.toFixed(2), r.goal, r.met ? 'yes' : 'no'])]
const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)))
for (const [i, r] of table.entries()) {
  console.log(`| ${r.map((cell, j) => cell.padEnd(widths[j]!)).join(' | ')} |`)
  if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
}
writeFileSync(new URL('results.json', import.meta.url), `${JSON.stringify({ at: new Date().toISOString(), machine, settings, rows }, null, 2)}\n`)
