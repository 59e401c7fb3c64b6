import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { join } from 'node:path'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import type { Transport } from '../../src/remote/transport.js'
import { shellJoin, shellQuote } from '../../src/shell-quote.js'
import { root as repository } from './imports.js'
import { commandRunner, simClusterAt, type SimCluster, type SimSettings } from './sim-cluster.js'
import { withoutNoise } from './ssh-site.js'

/** What install-site.sh is given (scripts/demo/site/install-site.sh tells what each does). */
export interface DemoSiteOptions {
  round?: string
  /** Days with raw data (default 250624). */
  days?: string[]
  /** Runs per day (default 4) and raw files per run (default 2). */
  runs?: number
  files?: number
  /** The jobs' pace (default 0.05) and their pause between the two pieces of a ROOT file (default 0.2). */
  stepSeconds?: number
  rootPauseSeconds?: number
  /** The stand-in cluster's settings; left out: a lag of 0.2 s and a start of 0.1 s, ids from 60726901. */
  cluster?: SimSettings
}

/** The settings of <root>/site/site.conf that a test may change on a running site. */
export type SiteSetting = 'step_seconds' | 'root_pause_seconds' | 'fail_jobs' | 'abnormal_runs' | 'abnormal_days' | 'topup_runs'

/** The site's paths and names, as a workflow's site variables would give them. */
export interface SiteVars {
  round: string
  boss: string
  bosse: string
  /** DataValid/, the work area of the round. */
  work_area: string
  /** DataValid/InjSigTimeCal, stage 1's folder. */
  job_dir: string
  /** The raw data root; the days of a round are in data_root/<round>/. */
  data_root: string
  env_script: string
  hepjob_bin: string
  container_shell: string
  container_image: string
  /** The step-8 database folders with their genInsertCmd.sh, and checkDBAlg's share/ (reset_root.sh). */
  afs_injsiginterval: string
  afs_injsigtime: string
  afs_offlineevtfilter: string
  checkdb_share: string
}

export interface SiteOutput {
  exitCode: number | null
  /** The command's own lines (the login shell's noise left out). */
  stdout: string[]
  stderr: string[]
}

/** A call of a step-8 program, from <root>/site/calls.log. */
export interface SiteCall {
  /** The program as called (its link in the site), relative to the root. */
  program: string
  /** The folder it was called in, relative to the root. */
  cwd: string
  args: string[]
}

export interface DemoSite {
  /** The site's root on its host (absolute). */
  root: string
  transport: Transport
  vars: SiteVars
  /** The runs of each day with raw data, in order. */
  runs: Record<string, string[]>
  cluster: SimCluster
  /** Runs a command there and collects its output. */
  run(command: string): Promise<SiteOutput>
  /** Runs a command in a folder of the site after sourcing its w720, as the chain does for genJob.sh. */
  runInEnv(dir: string, command: string): Promise<SiteOutput>
  /** A file's bytes; a relative path is taken from the root. */
  fetch(path: string): Promise<Buffer>
  read(path: string): Promise<string>
  exists(path: string): Promise<boolean>
  /** The names in a folder, sorted (hidden ones included). */
  list(dir: string): Promise<string[]>
  /** Every call of a step-8 program so far, in order. */
  calls(): Promise<SiteCall[]>
  /** What genInsertCmd.sh -sub_switch 1 inserted: table, boss, round, run_from, run_to, file (relative to the root). */
  database(): Promise<string[][]>
  /** Changes settings of site.conf (a list setting as its comma-separated text). */
  configure(settings: Partial<Record<SiteSetting, string>>): Promise<void>
  /** Makes step 8.3's ccompare or check program print the text (null: print nothing again). */
  failStep8(check: 'ccompare' | 'check', output: string | null): Promise<void>
  /** Runs install-site.sh again over the site (the round stays), as a person would to renew or extend it. */
  installAgain(options: Omit<DemoSiteOptions, 'round' | 'cluster'>): Promise<void>
  /**
   * Polls (every 50 ms, for at most `timeoutMs`) until `missing` answers null; its last answer, what was still
   * missing, is the error's message when time runs out.
   */
  until(what: string, missing: () => Promise<string | null>, timeoutMs?: number): Promise<void>
  /** Stops the cluster's jobs and removes the site. */
  stop(): Promise<void>
}

interface Teardown { teardown(fn: () => unknown): void }

const signal = () => AbortSignal.timeout(120_000)

/**
 * Installs the simulated BESIII site (scripts/demo/site) into a fresh folder under /tmp on the transport's host:
 * this machine by default, or the SSH test site's target. The scripts travel as one archive in the command, so
 * the host needs no access to this checkout. At the end of the test the site is stopped and removed.
 */
export async function installDemoSite(t: Teardown, options: DemoSiteOptions = {},
  transport: Transport = new LocalTransport()): Promise<DemoSite> {
  const dir = `/tmp/topup-demo-site-${process.pid}-${randomBytes(4).toString('hex')}`
  const root = `${dir}/root`
  const round = options.round ?? 'round18'
  const days = options.days ?? ['250624']
  const check = commandRunner(transport)

  const run = async (command: string): Promise<SiteOutput> => {
    const stdout: string[] = []
    const stderr: string[] = []
    const result = await transport.run({
      command, signal: signal(),
      onLine: (stream, line, _bytes, fromLogin) => { if (!fromLogin) (stream === 'stdout' ? stdout : stderr).push(line) },
    })
    // the login shell's stdout lines come marked; its stderr lines are known by their text
    return { exitCode: result.exitCode, stdout, stderr: transport.host === 'local' ? stderr : withoutNoise(stderr) }
  }
  const must = async (command: string) => {
    const output = await run(command)
    if (output.exitCode !== 0) throw new Error(`exit ${output.exitCode}: ${command.slice(0, 200)}\n${output.stderr.join('\n')}`)
    return output
  }
  const at = (path: string) => shellQuote(path.startsWith('/') ? path : `${root}/${path}`)
  const relative = (path: string) => (path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path)

  const bundle = execFileSync('tar', ['-cz', '-C', join(repository, 'scripts/demo'), '--exclude=.state',
    'site', 'cluster', 'merge-plots.mjs']).toString('base64')
  await check(`mkdir -m 700 ${dir} && mkdir ${dir}/scripts && printf '%s' ${bundle} | base64 -d | tar -xz -C ${dir}/scripts`)
  const install = (given: DemoSiteOptions) => must(`bash ${dir}/scripts/site/install-site.sh ${shellJoin(installArgs(root, given))}`)
  await install({ ...options, round, days })

  const work = `${root}/besfs5/groups/cal/topup/${round}/DataValid`
  const afs = `${root}/afs/ihep.ac.cn/bes3/offline/CalibConst/OfflineEvtFilter`
  const vars: SiteVars = {
    round, boss: '7.2.0', bosse: '720', work_area: work, job_dir: `${work}/InjSigTimeCal`,
    data_root: `${root}/bes3fs/offline/data/cal`, env_script: `${root}/w720`,
    hepjob_bin: `${root}/cvmfs/common.ihep.ac.cn/software/hepjob/bin`,
    container_shell: `${root}/cvmfs/container.ihep.ac.cn/bin/hep_container`, container_image: 'SL6',
    afs_injsiginterval: `${afs}/InjSigInterval/7.2.0`, afs_injsigtime: `${afs}/InjSigTime/7.2.0/${round}`,
    afs_offlineevtfilter: `${afs}/OfflineEvtFilter/7.2.0/${round}`,
    checkdb_share: `${root}/besfs5/users/topup/boss720/workarea/workarea-7.2.0/Analysis/checkDBAlg/checkDBAlg-00-00-00/share`,
  }
  const cluster = simClusterAt(transport, vars.hepjob_bin, dir)
  await cluster.configure({ first_cluster: 60726901, lag_seconds: 0.2, start_seconds: 0.1, ...options.cluster })

  const fetch = async (path: string) => Buffer.from((await must(`base64 -w0 -- ${at(path)}`)).stdout.join(''), 'base64')
  const list = async (path: string) => (await must(`ls -1A -- ${at(path)}`)).stdout.filter((l) => l !== '').sort()
  const lines = async (path: string) => (await fetch(path)).toString('utf8').split('\n').filter((l) => l !== '')
  const write = (path: string, text: string) => check(
    `printf '%s' ${Buffer.from(text).toString('base64')} | base64 -d > ${at(`${path}.new`)} && mv -f ${at(`${path}.new`)} ${at(path)}`)
  const runs: Record<string, string[]> = {}
  for (const day of days) {
    const names = await list(`${vars.data_root}/${round}/${day}`)
    runs[day] = [...new Set(names.map((name) => name.slice(6, 11)))]
  }

  let stopped = false
  const site: DemoSite = {
    root, transport, vars, runs, cluster, run, fetch, list,
    runInEnv: (path, command) => run(`cd -- ${at(path)} && source ${at(vars.env_script)} && ${command}`),
    read: async (path) => (await fetch(path)).toString('utf8'),
    exists: async (path) => (await run(`test -e ${at(path)}`)).exitCode === 0,
    async calls() {
      if (!await site.exists('site/calls.log')) return []
      return (await lines('site/calls.log')).map((line) => {
        const [, program, cwd, ...rest] = line.split('\t')
        return { program: relative(program!), cwd: relative(cwd!), args: rest }
      })
    },
    async database() {
      if (!await site.exists('site/database.txt')) return []
      return (await lines('site/database.txt')).map((line) => {
        const fields = line.split('\t')
        return [...fields.slice(0, -1), relative(fields.at(-1)!)]
      })
    },
    async configure(settings) {
      const current = await lines('site/site.conf')
      const names = new Set(Object.keys(settings))
      const kept = current.filter((line) => !names.has(line.split('=')[0]!))
      await write('site/site.conf', [...kept, ...Object.entries(settings).map(([name, value]) => `${name}=${value}`)].join('\n') + '\n')
    },
    async failStep8(program, output) {
      if (output === null) await check(`rm -f -- ${at(`site/fail-${program}`)}`)
      else await write(`site/fail-${program}`, output)
    },
    installAgain: async (given) => { await install({ ...given, round }) },
    async until(what, missing, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      for (let left = await missing(); left !== null; left = await missing()) {
        if (Date.now() > deadline) throw new Error(`${what}: still missing after ${timeoutMs} ms: ${left}`)
        await delay(50)
      }
    },
    async stop() {
      if (stopped) return
      stopped = true
      await cluster.stop()
      await check(`rm -rf -- ${dir}`)
    },
  }
  t.teardown(() => site.stop())
  return site
}

function installArgs(root: string, options: DemoSiteOptions): string[] {
  const args = [root]
  const add = (option: string, value: string | number | undefined) => { if (value !== undefined) args.push(option, String(value)) }
  add('--round', options.round)
  add('--days', options.days?.join(','))
  add('--runs', options.runs)
  add('--files', options.files)
  add('--step-seconds', options.stepSeconds)
  add('--root-pause-seconds', options.rootPauseSeconds)
  return args
}
