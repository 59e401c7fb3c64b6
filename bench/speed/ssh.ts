import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openDatabase } from '../../src/db/connect.js'
import { createTransportProvider } from '../../src/remote/transport-provider.js'
import { startSshSite, SITE_USERS } from '../../test/helpers/ssh-site.js'
import { alternating, median, type SpeedRow } from './row.js'

const quantile = (times: number[], q: number) => {
  const sorted = [...times].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}
const figure = (times: number[]) => ({ medianMs: quantile(times, 0.5), p95Ms: quantile(times, 0.95), runs: times.length })
const cell = (f: { medianMs: number; p95Ms: number }) => `${f.medianMs.toFixed(1)} ms, p95 ${f.p95Ms.toFixed(1)} ms`

/**
 * A command (`true`) on the target behind the jump of the test site (a jump sshd and a target behind it on
 * loopback, as the tests start them; needs root): the service's pooled ssh2 connection against OpenSSH
 * ControlMaster on both hops, `runs` commands a round each, alternating; and a fresh `ssh -J` per command
 * (`cliRuns`) for scale. Goal: the pooled command costs at most half of ControlMaster's.
 */
export async function sshRow(options: { rounds: number; runs: number; cliRuns: number }): Promise<SpeedRow> {
  const teardowns: Array<() => unknown> = []
  const site = await startSshSite({ teardown: (fn) => teardowns.push(fn) })
  const { db } = openDatabase(':memory:')
  const provider = createTransportProvider({
    config: { HOSTS_FILE: site.writeHostsFile(), KNOWN_HOSTS_FILE: site.writeKnownHosts(), KNOWN_HOSTS_POLICY: 'strict' },
    db, env: site.env,
  })
  const askpassEnv = {
    ...process.env,
    SSH_ASKPASS: resolve(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/ssh-site/askpass.sh'),
    SSH_ASKPASS_REQUIRE: 'force',
    TOPUP_ASKPASS_topup_jump: SITE_USERS.jump.password,
    TOPUP_ASKPASS_topup_target: SITE_USERS.target.password,
  }
  const ssh = (config: string, ...args: string[]) => {
    const t0 = performance.now()
    const r = spawnSync('ssh', ['-F', config, ...args], { env: askpassEnv, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`ssh ${args.join(' ')} failed: ${r.stderr}`)
    return performance.now() - t0
  }
  const cmConfig = join(site.dir, 'ssh_config_cm')
  writeFileSync(cmConfig, `Host *\n  ControlMaster auto\n  ControlPath ${site.dir}/cm-%r@%h:%p\n  ControlPersist 120\n\n`
    + `Include ${site.sshConfigFile}\n`)
  const target = provider.transportFor('target')
  const pooled = async () => {
    const t0 = performance.now()
    await target.run({ command: 'true', signal: AbortSignal.timeout(30_000) })
    return performance.now() - t0
  }
  try {
    await pooled()
    ssh(cmConfig, 'target', 'true')
    const times: Record<'pooled' | 'controlMaster', number[]> = { pooled: [], controlMaster: [] }
    const medians: Record<'pooled' | 'controlMaster', number[]> = { pooled: [], controlMaster: [] }
    for (const v of alternating(['pooled', 'controlMaster'] as const, options.rounds)) {
      const round: number[] = []
      for (let i = 0; i < options.runs; i++) round.push(v === 'pooled' ? await pooled() : ssh(cmConfig, 'target', 'true'))
      times[v].push(...round)
      medians[v].push(quantile(round, 0.5))
    }
    const fresh = Array.from({ length: options.cliRuns }, () => ssh(site.sshConfigFile, 'target', 'true'))
    const ratio = median(medians.controlMaster) / median(medians.pooled)
    return {
      measure: 'command `true` behind the jump: pooled ssh2 vs OpenSSH ControlMaster', baseline: cell(figure(times.controlMaster)),
      topup: cell(figure(times.pooled)), ratio, goal: '≥ 2 (≤ 0.5× the cost)', met: ratio >= 2,
      figures: { unit: 'ms', controlMaster: figure(times.controlMaster), pooled: figure(times.pooled), freshSshJ: figure(fresh) },
    }
  } finally {
    for (const host of ['target', 'jump']) spawnSync('ssh', ['-F', cmConfig, '-O', 'exit', host], { stdio: 'ignore' })
    provider.close()
    await db.destroy()
    for (const fn of teardowns) await fn()
  }
}
