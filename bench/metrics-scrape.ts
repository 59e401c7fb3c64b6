/**
 * `npx tsx bench/metrics-scrape.ts`: the time of one /metrics scrape (every collector, the database's GROUP BYs
 * included) on a database of BENCH_TASKS tasks (default 20,000, about fifty years of daily runs of a few
 * workflows) with 50 cluster jobs each.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../src/db/connect.js'
import { taskStatuses } from '../src/domain.js'
import { ServiceMetrics } from '../src/metrics/service-metrics.js'

const tasks = Number(process.env.BENCH_TASKS ?? 20_000)
const jobsPerTask = 50
const dir = mkdtempSync(join(tmpdir(), 'topup-bench-metrics-'))
const { db, sqlite } = openDatabase(join(dir, 'topup.db'))
const workflows = ['topup_first_stage', 'topup_second_stage', 'topup_upload']

sqlite.transaction(() => {
  const wf = sqlite.prepare(`INSERT INTO workflows (name, display_name, version, definition, definition_hash) VALUES (?, ?, '1', '{}', 'x')`)
  const ids = workflows.map((name) => Number(wf.run(name, name).lastInsertRowid))
  const task = sqlite.prepare(`INSERT INTO tasks (user_id, workflow_id, workflow_name, task_name, status, status_reason)
    VALUES ('alice', ?, ?, 't', ?, ?)`)
  const execution = sqlite.prepare(`INSERT INTO task_executions (task_id, step_name, step_display_name, step_type, step_order)
    VALUES (?, 'wait', 'wait', 'wait_for_jobs', 1)`)
  const job = sqlite.prepare(`INSERT INTO remote_jobs (task_id, execution_id, step_name, host, system, tools, job_id, state, submitted_at, state_since, finished_at)
    VALUES (?, ?, 'wait', 'beslogin', 'hepjob', '', ?, ?, '2025-06-24T00:00:00Z', '2025-06-24T00:00:00Z', ?)`)
  for (let i = 0; i < tasks; i++) {
    const w = i % workflows.length
    const status = i % 97 === 0 ? 'paused' : taskStatuses[i % taskStatuses.length]!
    const taskId = Number(task.run(ids[w], workflows[w], status, status === 'paused' ? 'waiting for review' : null).lastInsertRowid)
    const executionId = Number(execution.run(taskId).lastInsertRowid)
    for (let j = 0; j < jobsPerTask; j++) job.run(taskId, executionId, `${i}.${j}`, ...(j === 0 && i % 100 === 0 ? ['running', null] : ['completed', '2025-06-24T01:00:00Z']))
  }
})()

const metrics = new ServiceMetrics({
  db, events: { subscribe: () => () => {} }, workflows: () => workflows.map((name) => ({ name, runnable: true })),
})
await metrics.text()
const times: number[] = []
for (let i = 0; i < 50; i++) {
  const t0 = performance.now()
  await metrics.text()
  times.push(performance.now() - t0)
}
times.sort((a, b) => a - b)
console.log(`metrics scrape, ${tasks} tasks, ${tasks * jobsPerTask} cluster jobs: median ${times[25]!.toFixed(1)} ms, `
  + `p95 ${times[47]!.toFixed(1)} ms (50 scrapes)`)
metrics.close()
await db.destroy()
rmSync(dir, { recursive: true, force: true })
