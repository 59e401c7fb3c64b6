/**
 * The cluster-job poller under load (second part of `npm run bench`): 1,000 tasks on a real engine (a SQLite
 * file, MAX_PARALLEL_TASKS 1000) each submit 10 HepJob jobs on host `local` and wait for them, against static
 * stand-in tools (static-cluster.ts). While all 10,000 jobs run it counts the status commands per interval
 * (counter file and tracker), the server's CPU per poll cycle, its peak RSS and the event-loop delay; then every
 * job completes at once and it times until all 1,000 tasks are `success`. Beside it, what a poller per task
 * would cost, and one hep_q run + parse. BENCH_JOB_TASKS / BENCH_JOBS_PER_TASK / BENCH_JOB_INTERVALS scale it.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as delay } from 'node:timers/promises'
import { promisify } from 'node:util'
import { hepjobAdapter } from '../src/batch/hepjob.js'
import { toolsIn } from '../src/batch/registry.js'
import { runBatchCommand } from '../src/batch/tool-output.js'
import { LocalTransport } from '../src/remote/local/local-transport.js'
import { engineFixture, type TestWorkflow } from '../test/engine/fixture.js'
import { installStaticCluster, type StaticCluster } from './static-cluster.js'

const TASKS = Number(process.env.BENCH_JOB_TASKS ?? 1000)
const JOBS_PER_TASK = Number(process.env.BENCH_JOBS_PER_TASK ?? 10)
/** Steady poll intervals the measuring window lasts. */
const INTERVALS = Number(process.env.BENCH_JOB_INTERVALS ?? 5)
const POLL_MIN_S = 0.5
const POLL_MAX_S = 2
/** Each phase must end within this, or the bench stops with an error. */
const PHASE_MS = 240_000
const JOBS = TASKS * JOBS_PER_TASK
const user = userInfo().username
/** `npm run bench` runs this file compiled (node-build.ts); `tsx bench/jobs.ts` runs it as it is. */
const runtime = import.meta.url.endsWith('.ts') ? 'tsx' : 'node'

function workflow(bin: string): TestWorkflow {
  return {
    name: 'bench_jobs',
    steps: [
      {
        id: 'submit', display_name: 'submit', type: 'exec', host: 'local',
        inputs: { command: `${bin}/hep_sub -n ${JOBS_PER_TASK} job.sh`, jobs: { system: 'hepjob', from_output: 'cluster_ids', tools: bin } },
        outputs: { cluster_ids: { pattern: 'submitted to cluster ([0-9]+)', all: true, required: true } },
      },
      { id: 'wait', display_name: 'wait', type: 'wait_for_jobs', inputs: { jobs: 'submit', max_wait_minutes: 30 } },
    ],
  }
}

/** Calls `check` every `everyMs` until it returns true; throws after PHASE_MS. */
async function until(what: string, check: () => Promise<boolean> | boolean, everyMs = 250): Promise<void> {
  const deadline = Date.now() + PHASE_MS
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`)
    await delay(everyMs)
  }
}

const cpuMs = (since: NodeJS.CpuUsage) => { const d = process.cpuUsage(since); return (d.user + d.system) / 1000 }
const mb = (bytes: number) => bytes / 2 ** 20

interface TopupFigures {
  startedToRunningS: number
  windowS: number
  fileCommands: number
  trackerCommands: number
  groups: number
  cpuPerCycleMs: number
  loopP99Ms: number
  completionS: number
  completionLoopP99Ms: number
  completionCommands: number
  peakRssMb: number
  idleRssMb: number
}

async function measureTopup(dir: string, cluster: StaticCluster): Promise<TopupFigures> {
  const teardowns: Array<() => unknown> = []
  let peakRss = 0
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 100)
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  try {
    const idleRss = process.memoryUsage().rss
    const f = engineFixture({ teardown: (fn) => teardowns.push(fn) }, {
      dir,
      config: {
        MAX_PARALLEL_TASKS: TASKS, JOB_POLL_MIN_SECONDS: POLL_MIN_S, JOB_POLL_MAX_SECONDS: POLL_MAX_S,
        // every job is in the listing from the start: nothing may turn lost during the bench
        JOB_LAG_SECONDS: 3600, REMOTE_RUNS_DIR: join(dir, 'runs'),
      },
    })
    await f.engine.recover()
    let succeeded = 0
    const ended: string[] = []
    f.engine.bus.subscribe((e) => {
      if (e.type !== 'task.status') return
      if (e.data.status === 'success') succeeded++
      else if (['failed', 'paused', 'cancelled'].includes(e.data.status)) ended.push(`task ${e.task_id} ${e.data.status}: ${e.data.reason}`)
    })
    const noFailure = () => { if (ended.length > 0) throw new Error(`bench: ${ended.slice(0, 3).join('; ')}`) }
    const count = async (query: () => Promise<{ n: number | string | bigint }>) => Number((await query()).n)

    const t0 = performance.now()
    const tasks = []
    for (let i = 0; i < TASKS; i++) tasks.push(await f.createTask(workflow(cluster.bin)))
    for (const task of tasks) await f.engine.start(task.id)
    await until(`${JOBS} running jobs and ${TASKS} waits`, async () => {
      noFailure()
      const running = await count(() => f.db.selectFrom('remote_jobs').select((eb) => eb.fn.countAll().as('n'))
        .where('state', '=', 'running').executeTakeFirstOrThrow())
      const waits = await count(() => f.db.selectFrom('task_executions').select((eb) => eb.fn.countAll().as('n'))
        .where('step_name', '=', 'wait').where('status', '=', 'running').executeTakeFirstOrThrow())
      return running === JOBS && waits === TASKS
    }, 500)
    const startedToRunningS = (performance.now() - t0) / 1000

    // the window opens right after a poll began, so that it holds whole cycles
    const before = cluster.runs().hep_q
    await until('a steady poll', () => cluster.runs().hep_q > before, 20)
    const trackerCommands = () => f.engine.jobs.commandCounts().reduce((sum, g) => sum + g.commands, 0)
    const file0 = cluster.runs()
    const tracker0 = trackerCommands()
    const cpu0 = process.cpuUsage()
    const w0 = performance.now()
    loop.reset()
    await delay(INTERVALS * POLL_MAX_S * 1000)
    const cpuWindow = cpuMs(cpu0)
    const loopP99Ms = loop.percentile(99) / 1e6
    const windowS = (performance.now() - w0) / 1000
    const file1 = cluster.runs()
    const fileCommands = file1.hep_q - file0.hep_q + file1.condor_history - file0.condor_history
    const trackerDelta = trackerCommands() - tracker0
    noFailure()

    const c0 = cluster.runs()
    const completion0 = performance.now()
    loop.reset()
    cluster.setState('completed')
    await until(`${TASKS} tasks to succeed`, () => { noFailure(); return succeeded >= TASKS }, 20)
    const completionS = (performance.now() - completion0) / 1000
    const completionLoopP99Ms = loop.percentile(99) / 1e6
    const c1 = cluster.runs()
    const figures: TopupFigures = {
      startedToRunningS, windowS, fileCommands, trackerCommands: trackerDelta,
      groups: f.engine.jobs.commandCounts().length, cpuPerCycleMs: cpuWindow / Math.max(1, fileCommands), loopP99Ms,
      completionS, completionLoopP99Ms,
      completionCommands: c1.hep_q - c0.hep_q + c1.condor_history - c0.condor_history,
      peakRssMb: mb(Math.max(peakRss, process.memoryUsage().rss)), idleRssMb: mb(idleRss),
    }
    return figures
  } finally {
    clearInterval(sampler)
    loop.disable()
    for (const fn of teardowns.reverse()) await fn()
  }
}

interface BaselineFigures {
  perTaskWallS: number
  perTaskCpuMs: number
  oneRunWallMs: number
  oneRunCpuMs: number
}

const execFileAsync = promisify(execFile)

/**
 * A poller per task: each task runs `hep_q -u <user>` itself (hep_q cannot be asked about ids) and reads its own
 * ids out of the whole listing, once per interval — run here for one interval, one after another, unframed (so
 * cheaper than a framed command). Then one framed hep_q run + parse of every id, as the shared poller does it.
 */
async function measureBaseline(cluster: StaticCluster): Promise<BaselineFigures> {
  cluster.setState('running')
  const adapter = hepjobAdapter(toolsIn('hepjob', cluster.bin), user)
  const ids = Array.from({ length: JOBS }, (_, i) => `${i + 1}.0`)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let task = 0; task < TASKS; task++) {
    const [command] = adapter.queueCommands(ids.slice(task * JOBS_PER_TASK, (task + 1) * JOBS_PER_TASK))
    const { stdout } = await execFileAsync(join(cluster.bin, 'hep_q'), ['-u', user], { maxBuffer: 64 * 2 ** 20 })
    const found = adapter.parseQueue(command!, { stdout: stdout.split('\n'), stderr: [], exitCode: 0 })
    if (found.size !== JOBS_PER_TASK) throw new Error(`bench: a per-task hep_q found ${found.size} of ${JOBS_PER_TASK} jobs`)
  }
  const perTaskWallS = (performance.now() - t0) / 1000
  const perTaskCpuMs = cpuMs(cpu0)

  const transport = new LocalTransport()
  const runs: Array<{ wall: number; cpu: number }> = []
  for (let i = 0; i < 6; i++) {
    const c = process.cpuUsage()
    const t = performance.now()
    const [command] = adapter.queueCommands(ids)
    const found = adapter.parseQueue(command!, await runBatchCommand(transport, command!, AbortSignal.timeout(60_000)))
    if (found.size !== JOBS) throw new Error(`bench: hep_q + parse found ${found.size} of ${JOBS} jobs`)
    runs.push({ wall: performance.now() - t, cpu: cpuMs(c) })
  }
  // the first run warms the parser up; the median of the rest
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const rest = runs.slice(1)
  return {
    perTaskWallS, perTaskCpuMs, oneRunWallMs: median(rest.map((r) => r.wall)), oneRunCpuMs: median(rest.map((r) => r.cpu)),
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => `  ${r.map((cell, i) => cell.padEnd(widths[i]!)).join('   ')}`.trimEnd()).join('\n')
}

const fixed = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const ratio = (baseline: number, topup: number) => `${fixed(baseline / topup, baseline / topup < 10 ? 1 : 0)}`

async function jobsBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'topup-bench-jobs-'))
  try {
    const cluster = installStaticCluster(join(dir, 'cluster'), user, JOBS)
    const topup = await measureTopup(join(dir, 'engine'), cluster)
    const base = await measureBaseline(cluster)
    const perInterval = topup.fileCommands / (topup.windowS / POLL_MAX_S)
    const intervalCpuMs = topup.cpuPerCycleMs * perInterval
    console.log(`${fixed(JOBS)} cluster jobs of ${fixed(TASKS)} tasks waiting on host local (hepjob, static stand-in tools), ` +
      `poll ${POLL_MIN_S} s → ${POLL_MAX_S} s, under ${runtime}; window ${fixed(topup.windowS, 1)} s; ratio = baseline / Topup:`)
    console.log(table([
      ['measure', 'Topup', 'baseline', 'ratio'],
      [`status commands per ${POLL_MAX_S} s interval (local, hepjob)`, fixed(perInterval, 2), `${fixed(TASKS)} (one poller per task)`,
        ratio(TASKS, perInterval)],
      ['  counted by the counter file / the tracker, groups', `${topup.fileCommands} / ${topup.trackerCommands}, ${topup.groups}`, '', ''],
      ['server CPU per poll cycle (all its work / polls)', `${fixed(topup.cpuPerCycleMs)} ms`, `${fixed(base.oneRunCpuMs)} ms (one hep_q run + parse)`,
        ratio(base.oneRunCpuMs, topup.cpuPerCycleMs)],
      ['server CPU per interval', `${fixed(intervalCpuMs)} ms`, `${fixed(base.perTaskCpuMs)} ms (${fixed(TASKS)} × hep_q + parse)`,
        ratio(base.perTaskCpuMs, intervalCpuMs)],
      ['wall time of one interval\'s status queries', `${fixed(base.oneRunWallMs)} ms (one framed hep_q + parse)`, `${fixed(base.perTaskWallS, 1)} s (${fixed(TASKS)} × hep_q)`,
        ratio(base.perTaskWallS * 1000, base.oneRunWallMs)],
      ['server RSS, peak (target ≤ 300 MB)', `${fixed(topup.peakRssMb)} MB`, `${fixed(topup.idleRssMb)} MB before the engine`, ''],
      ['event-loop delay p99, while polling', `${fixed(topup.loopP99Ms, 1)} ms`, '', ''],
      ['event-loop delay p99, while all complete', `${fixed(topup.completionLoopP99Ms, 1)} ms`, '', ''],
      [`tasks started → ${fixed(JOBS)} jobs running`, `${fixed(topup.startedToRunningS, 1)} s`, '', ''],
      [`all jobs completed → ${fixed(TASKS)} tasks success`, `${fixed(topup.completionS, 1)} s`, `${topup.completionCommands} status commands`, ''],
    ]))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await jobsBench()
