/**
 * `npm run bench` (run it as root): the cluster-job poller under load (jobs.ts), compiled and run by plain node in
 * a process of its own, so that its memory figures are the server's alone. Then, each in a process of its own:
 * health and a task's pace while WebSocket clients flood the server (flood.ts), one metrics scrape on 20,000 tasks
 * and 1,000,000 jobs (metrics-scrape.ts), the page in Chromium (page.ts): load, download size, and the live log's
 * frame times at 200,000 lines; and last the speed table (speed.ts): every measure of the speed issue beside its
 * baseline — REST, log ingest, live fan-out, steps, SSH through the jump — written to bench/results.json.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildForNode } from './node-build.js'

const build = mkdtempSync(join(tmpdir(), 'topup-bench-build-'))
try {
  const jobs = spawnSync(process.execPath, [buildForNode('bench/jobs.ts', build)], { stdio: 'inherit' })
  if (jobs.status !== 0) process.exitCode = 1
} finally {
  rmSync(build, { recursive: true, force: true })
}

// the rest, each under tsx in a process of its own
for (const part of ['flood.ts', 'metrics-scrape.ts', 'page.ts', 'speed.ts']) {
  console.log()
  const run = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(part, import.meta.url))], { stdio: 'inherit' })
  if (run.status !== 0) process.exitCode = 1
}
