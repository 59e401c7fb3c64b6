/**
 * The steps measures of the speed issue: one task of 200 `exec true` steps through the real engine, beside the
 * bare baseline (bench/baselines/spawn-rows.ts: spawn plus the same rows), and the longest event-loop block while
 * those steps start, with the engine's process holding a heap of ~180 MB as the real server does. Each variant
 * runs in a process of its own (bench/speed/step-engine.ts), A/B alternating over the rounds.
 * `npx tsx bench/speed/steps.ts` prints the rows (BENCH_ROUNDS rounds, 3; BENCH_STEPS steps, 200;
 * BENCH_STEPS_BEFORE, see `variants`).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { alternating, median, type SpeedRow } from './row.js'
import type { StepEngineMode, StepRound } from './step-engine.js'

const HEAP_MB = 180
export const STEP_BLOCK_GOAL_MS = 2
const STEP_COST_GOAL = 1 / 1.5

interface Variant { name: 'topup' | 'before' | 'bare' | 'bare-heap'; mode: StepEngineMode; heapMb: number; tree?: string }
/**
 * bare: the baseline of the cost, in a small process; bare-heap: what spawn() itself blocks from a big heap;
 * before: Topup as another checkout has it (BENCH_STEPS_BEFORE=<its folder>, with these bench files copied in).
 */
const variants = (before: string | undefined): Variant[] => [
  { name: 'topup', mode: 'topup', heapMb: HEAP_MB },
  ...(before ? [{ name: 'before', mode: 'topup', heapMb: HEAP_MB, tree: before } as const] : []),
  { name: 'bare', mode: 'bare', heapMb: 0 },
  { name: 'bare-heap', mode: 'bare', heapMb: HEAP_MB },
]

interface Worker { child: ChildProcess; round(steps: number): Promise<StepRound> }

async function startWorker(variant: Variant, dir: string): Promise<Worker> {
  const file = variant.tree ? join(variant.tree, 'bench/speed/step-engine.ts') : fileURLToPath(new URL('step-engine.ts', import.meta.url))
  const child = fork(file, [variant.mode, dir, String(variant.heapMb)],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...(variant.tree ? { cwd: variant.tree } : {}) })
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${variant.name} exited (${code})`))))
  exited.catch(() => {})
  const next = <T>() => Promise.race([new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T))), exited])
  await next()
  return { child, round: (steps) => { const answer = next<StepRound>(); child.send({ steps }); return answer } }
}

export async function stepRows(options: { rounds: number; steps?: number; before?: string }): Promise<SpeedRow[]> {
  const steps = options.steps ?? 200
  const VARIANTS = variants(options.before)
  const dir = mkdtempSync(join(tmpdir(), 'topup-bench-steps-'))
  const workers = new Map<Variant['name'], Worker>()
  try {
    for (const variant of VARIANTS) {
      const own = join(dir, variant.name)
      mkdirSync(own)
      workers.set(variant.name, await startWorker(variant, own))
    }
    const figures = new Map<Variant['name'], StepRound[]>(VARIANTS.map((v) => [v.name, []]))
    for (const variant of VARIANTS) await workers.get(variant.name)!.round(Math.min(steps, 20)) // warm-up
    for (const variant of alternating(VARIANTS, options.rounds)) {
      figures.get(variant.name)!.push(await workers.get(variant.name)!.round(steps))
    }
    return rowsOf(figures, steps)
  } finally {
    for (const { child } of workers.values()) child.disconnect()
    rmSync(dir, { recursive: true, force: true })
  }
}

function rowsOf(figures: Map<Variant['name'], StepRound[]>, steps: number): SpeedRow[] {
  const of = (name: Variant['name'], key: keyof StepRound) => figures.get(name)?.map((f) => f[key]) ?? []
  const topupMs = median(of('topup', 'msPerStep'))
  const bareMs = median(of('bare', 'msPerStep'))
  const blocks = of('topup', 'maxBlockMs')
  const longest = Math.max(...blocks)
  const bareBlock = median(of('bare-heap', 'maxBlockMs'))
  const ms = (x: number) => x.toFixed(2)
  return [
    {
      measure: `${steps} steps of exec true (one task)`,
      baseline: `${ms(bareMs)} ms/step (spawn + the same rows)`,
      topup: `${ms(topupMs)} ms/step`,
      ...(figures.has('before') ? { before: `${ms(median(of('before', 'msPerStep')))} ms/step` } : {}),
      ratio: bareMs / topupMs,
      goal: '≥ 0.67 (≤ 1.5× cost)',
      met: bareMs / topupMs >= STEP_COST_GOAL,
      figures: Object.fromEntries([...figures].map(([name, rounds]) => [name, rounds])),
    },
    {
      measure: `longest event-loop block at a step start (${HEAP_MB} MB heap)`,
      baseline: `${ms(bareBlock)} ms (spawn() from that heap)`,
      topup: `${ms(longest)} ms (longest of ${blocks.length} rounds; p99 ${ms(median(of('topup', 'p99BlockMs')))} ms; `
        + `its own CPU ${ms(Math.max(...of('topup', 'maxCpuMs')))} ms, p99 ${ms(median(of('topup', 'p99CpuMs')))} ms)`,
      ...(figures.has('before') ? { before: `${ms(Math.max(...of('before', 'maxBlockMs')))} ms (p99 ${ms(median(of('before', 'p99BlockMs')))} ms)` } : {}),
      ratio: bareBlock / longest,
      goal: `≤ ${STEP_BLOCK_GOAL_MS} ms`,
      met: longest <= STEP_BLOCK_GOAL_MS,
      figures: {
        topupMaxBlockMs: blocks, topupMaxCpuMs: of('topup', 'maxCpuMs'), topupAnyBlockMs: of('topup', 'anyBlockMs'),
        bareHeapMaxBlockMs: of('bare-heap', 'maxBlockMs'), bareHeapMaxCpuMs: of('bare-heap', 'maxCpuMs'),
        ...(figures.has('before') ? { beforeMaxBlockMs: of('before', 'maxBlockMs'), beforeMaxCpuMs: of('before', 'maxCpuMs') } : {}),
      },
    },
  ]
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const before = process.env.BENCH_STEPS_BEFORE
  const rows = await stepRows({ rounds: Number(process.env.BENCH_ROUNDS ?? 3), steps: Number(process.env.BENCH_STEPS ?? 200), ...(before ? { before } : {}) })
  for (const row of rows) {
    console.log(`${row.measure}\n  baseline ${row.baseline}\n${row.before ? `  before   ${row.before}\n` : ''}  topup    ${row.topup}\n  ratio    ${row.ratio.toFixed(2)} (goal ${row.goal}: ${row.met ? 'met' : 'not met'})`)
  }
  console.log(JSON.stringify(rows.map((r) => ({ measure: r.measure, figures: r.figures }))))
}
