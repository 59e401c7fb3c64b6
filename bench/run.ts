/**
 * `npm run bench`: on the test site (a jump sshd and a target behind it, on loopback), the time of one command
 * (`true`) on the target three ways: the service's pooled connection, a fresh `ssh -J` per command, and
 * OpenSSH ControlMaster on both hops. Run as root (it creates a network namespace and test users). Then the
 * cluster-job poller under load (jobs.ts), compiled and run by plain node in a process of its own, so that its
 * memory figures are the server's alone. Then, each in a process of its own: health and a task's pace while
 * WebSocket clients flood the server (flood.ts), one metrics scrape on 20,000 tasks and 1,000,000 jobs
 * (metrics-scrape.ts), and the page in Chromium (page.ts): load, download size, and the live log's frame times at
 * 200,000 lines.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSshSite, SITE_USERS } from '../test/helpers/ssh-site.js'
import { openDatabase } from '../src/db/connect.js'
import { createTransportProvider } from '../src/remote/transport-provider.js'
import { buildForNode } from './node-build.js'

const runs = Number(process.env.BENCH_RUNS ?? 200)
const cliRuns = Number(process.env.BENCH_CLI_RUNS ?? 30)
const teardowns: Array<() => unknown> = []
const site = await startSshSite({ teardown: (fn) => teardowns.push(fn) })

function stats(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  return `median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms (${times.length} runs)`
}

async function pooled(): Promise<string> {
  const { db } = openDatabase(':memory:')
  const provider = createTransportProvider({
    config: { HOSTS_FILE: site.writeHostsFile(), KNOWN_HOSTS_FILE: site.writeKnownHosts(), KNOWN_HOSTS_POLICY: 'strict' },
    db, env: site.env,
  })
  const target = provider.transportFor('target')
  await target.run({ command: 'true', signal: AbortSignal.timeout(30_000) })
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await target.run({ command: 'true', signal: AbortSignal.timeout(30_000) })
    times.push(performance.now() - t0)
  }
  provider.close()
  await db.destroy()
  return stats(times)
}

const askpassEnv = {
  ...process.env,
  SSH_ASKPASS: resolve(dirname(fileURLToPath(import.meta.url)), '../test/fixtures/ssh-site/askpass.sh'),
  SSH_ASKPASS_REQUIRE: 'force',
  TOPUP_ASKPASS_topup_jump: SITE_USERS.jump.password,
  TOPUP_ASKPASS_topup_target: SITE_USERS.target.password,
}

function ssh(config: string, ...args: string[]): number {
  const t0 = performance.now()
  const r = spawnSync('ssh', ['-F', config, ...args], { env: askpassEnv, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`ssh ${args.join(' ')} failed: ${r.stderr}`)
  return performance.now() - t0
}

function freshSsh(): string {
  return stats(Array.from({ length: cliRuns }, () => ssh(site.sshConfigFile, 'target', 'true')))
}

function controlMaster(): string {
  const config = join(site.dir, 'ssh_config_cm')
  writeFileSync(config, `Host *\n  ControlMaster auto\n  ControlPath ${site.dir}/cm-%r@%h:%p\n  ControlPersist 120\n\n`
    + `Include ${site.sshConfigFile}\n`)
  ssh(config, 'target', 'true')
  const times = Array.from({ length: runs }, () => ssh(config, 'target', 'true'))
  for (const host of ['target', 'jump']) spawnSync('ssh', ['-F', config, '-O', 'exit', host], { stdio: 'ignore' })
  return stats(times)
}

try {
  const figures = {
    'pooled ssh2 exec through the jump': await pooled(),
    'fresh ssh -J per command': freshSsh(),
    'OpenSSH ControlMaster on both hops': controlMaster(),
  }
  console.log('command `true` on the target behind the jump, loopback:')
  for (const [name, figure] of Object.entries(figures)) console.log(`  ${name.padEnd(36)} ${figure}`)
} finally {
  for (const fn of teardowns) await fn()
}

console.log()
const build = mkdtempSync(join(tmpdir(), 'topup-bench-build-'))
try {
  const jobs = spawnSync(process.execPath, [buildForNode('bench/jobs.ts', build)], { stdio: 'inherit' })
  if (jobs.status !== 0) process.exitCode = 1
} finally {
  rmSync(build, { recursive: true, force: true })
}

// the rest, each under tsx in a process of its own: the WebSocket flood beside a running task, the metrics scrape
// on a large database, the page in Chromium, and the REST and log-ingest speeds beside their baselines
for (const part of ['flood.ts', 'metrics-scrape.ts', 'page.ts', 'speed.ts']) {
  console.log()
  const run = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(part, import.meta.url))], { stdio: 'inherit' })
  if (run.status !== 0) process.exitCode = 1
}
