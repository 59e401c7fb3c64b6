import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { abandonedSites } from './abandoned-sites.js'
import { holdSiteUsers, SITE_USERS, type SshSite } from './ssh-site.js'

/**
 * A real one-node Slurm cluster for one test file, inside the network namespace of an SSH test site, so that
 * the site's target (whose sshd listens on that namespace's 127.0.0.1) reaches slurmctld at 127.0.0.1 and
 * nothing else does: munged (its own key and socket) → MariaDB (an empty data dir) → slurmdbd (so that sacct
 * reads real accounting) → slurmctld → slurmd. Jobs run as the site's target user. Every daemon runs with its
 * working directory in the site's folder, which is how teardown (and the sweep after a crashed run) finds them
 * and the slurmstepd processes of their jobs, by pid.
 *
 * Slurm resolves even 127.0.0.1 with AI_ADDRCONFIG, which fails (after ten 1 s retries) in a namespace holding
 * only a loopback address: the SSH site's namespace also holds its veth address, which is enough.
 */
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/slurm-site')
const STATE_ROOT = '/tmp/topup-slurm-site'
const TOOLS = ['sbatch', 'squeue', 'sacct', 'scancel', 'scontrol', 'sinfo'] as const
const run = promisify(execFile)

interface Teardown { teardown(fn: () => unknown): void }
type Daemon = 'munged' | 'mariadbd' | 'slurmdbd' | 'slurmctld' | 'slurmd'

export interface SlurmSite {
  dir: string
  /** Readable by the target user: sbatch, squeue, sacct, scancel, scontrol, sinfo, each the real one with SLURM_CONF set. */
  toolsDir: string
  /** The cluster's slurm.conf (readable by everyone). */
  slurmConf: string
  /** The one partition (the default one), of the one node with 2 CPUs. */
  partition: string
  node: string
  cluster: string
  /** A folder owned by the target user, for job scripts, their output and files they wait for; removed in stop(). */
  workDir: string
  /** Who runs the jobs: the SSH site's target user. */
  user: string
  ports: Record<'mariadb' | 'slurmdbd' | 'slurmctld' | 'slurmd', number>
  /** Of the daemons, each the leader of a session of its own. */
  pids: Record<Daemon, number>
  /** How long the daemons took from the first start to an idle node. */
  startMs: number
  /** Ids of the jobs slurmctld has pending, running or ending, of every user (squeue as root). */
  queuedJobs(): string[]
  /** A Slurm client run as root inside the namespace, e.g. client('scontrol', ['show', 'job', '12']). */
  client(tool: (typeof TOOLS)[number], args: readonly string[]): string
  /** The daemons' logs, for a failure's message. */
  logs(): string
  /** Kills every process of the site by pid (daemons, job steps, jobs) and removes its folder; run at teardown too. */
  stop(): Promise<void>
}

let counter = 0

export async function startSlurmSite(t: Teardown, site: Pick<SshSite, 'netns'>): Promise<SlurmSite> {
  await sweepLeftovers()
  const id = `${randomBytes(3).toString('hex')}${(counter++).toString(16)}`.slice(0, 7)
  const dir = join(STATE_ROOT, id)
  mkdirSync(join(dir, 'log'), { recursive: true, mode: 0o755 })
  writeFileSync(join(dir, 'owner'), String(process.pid))
  // the jobs run as the target user, which must outlive them
  const releaseUsers = holdSiteUsers(`slurm-${id}`)
  for (const sub of ['state', 'spool', 'bin']) mkdirSync(join(dir, sub), { mode: 0o755 })
  mkdirSync(join(dir, 'munge'), { mode: 0o755 })
  mkdirSync(join(dir, 'db', 'data'), { recursive: true, mode: 0o750 })
  mkdirSync(join(dir, 'work'), { mode: 0o755 })
  sh('chown', ['munge:munge', join(dir, 'munge')])
  writeFileSync(join(dir, 'log', 'mariadb.log'), '')
  sh('chown', ['-R', 'mysql:mysql', join(dir, 'db'), join(dir, 'log', 'mariadb.log')])
  sh('chown', [`${SITE_USERS.target.name}:${SITE_USERS.target.name}`, join(dir, 'work')])
  const key = join(dir, 'munge', 'munge.key')
  writeFileSync(key, randomBytes(128), { mode: 0o400 })
  sh('chown', ['munge:munge', key])

  const netns = `/run/netns/${site.netns}`
  const inNamespace = (argv: string[]) => [`--net=${netns}`, ...argv]
  const [mariadb, slurmdbd, slurmctld, slurmd] = freePorts(netns, 4)
  const ports = { mariadb: mariadb!, slurmdbd: slurmdbd!, slurmctld: slurmctld!, slurmd: slurmd! }
  const names = { cluster: `topup${id}`, node: `n${id}`, partition: `p${id}` }
  const mungeSocket = join(dir, 'munge', 'munge.sock')
  const slurmConf = join(dir, 'slurm.conf')
  const fill: Record<string, string> = {
    DIR: dir, HOST: hostname().split('.')[0]!, CLUSTER: names.cluster, NODE: names.node, PARTITION: names.partition,
    MUNGE_SOCKET: mungeSocket, SLURM_CONF: slurmConf, DB_PORT: String(ports.mariadb), DBD_PORT: String(ports.slurmdbd),
    CTLD_PORT: String(ports.slurmctld), SLURMD_PORT: String(ports.slurmd),
  }
  const template = (name: string, extra: Record<string, string> = {}) => readFileSync(join(FIXTURES, name), 'utf8')
    .replace(/@([A-Z_]+)@/g, (_, k: string) => extra[k] ?? fill[k] ?? '')
  writeFileSync(slurmConf, template('slurm.conf.template'), { mode: 0o644 })
  // slurmdbd reads slurmdbd.conf beside SLURM_CONF and insists that only its user can read it
  writeFileSync(join(dir, 'slurmdbd.conf'), template('slurmdbd.conf.template'), { mode: 0o600 })
  writeFileSync(join(dir, 'mariadb.cnf'), template('mariadb.cnf.template'), { mode: 0o644 })
  const toolsDir = join(dir, 'bin')
  for (const tool of TOOLS) writeFileSync(join(toolsDir, tool), template('tool.template', { TOOL: tool }), { mode: 0o755 })

  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', SLURM_CONF: slurmConf }
  const children = new Map<Daemon, ChildProcess>()
  const start = (name: Daemon, argv: string[]) => {
    const out = openSync(join(dir, 'log', `${name}.out`), 'a')
    // detached: a session of its own (setsid), so that no signal meant for the test's process group reaches it
    const child = spawn('nsenter', inNamespace(argv), { cwd: dir, env, detached: true, stdio: ['ignore', out, out] })
    closeSync(out)
    child.unref()
    children.set(name, child)
  }
  const logs = () => readdirSync(join(dir, 'log')).map((name) => {
    const text = readFileSync(join(dir, 'log', name), 'utf8').trimEnd().split('\n').slice(-15).join('\n')
    return `--- ${name}\n${text}`
  }).join('\n')
  const client = (tool: string, args: readonly string[]) =>
    execFileSync('nsenter', inNamespace([`/usr/bin/${tool}`, ...args]), { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] })
  const until = async (what: string, ready: () => Promise<boolean>) => {
    for (let i = 0; i < 1500; i++) {
      if (await ready()) return
      const dead = [...children].find(([, child]) => child.exitCode !== null || child.signalCode !== null)
      if (dead) throw new Error(`${dead[0]} exited while waiting for ${what}:\n${logs()}`)
      await delay(20)
    }
    throw new Error(`Slurm test site: no ${what} after 1500 checks:\n${logs()}`)
  }
  const listening = async (port: number) =>
    (await run('nsenter', inNamespace(['ss', '-Hltn', `sport = :${port}`]))).stdout.trim() !== ''

  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await removeSite(dir)
    releaseUsers()
  }
  t.teardown(stop)

  const began = Date.now()
  start('munged', ['/usr/bin/setpriv', '--reuid=munge', '--regid=munge', '--init-groups', '/usr/sbin/munged', '--foreground',
    `--socket=${mungeSocket}`, `--key-file=${key}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`,
    `--seed-file=${join(dir, 'munge', 'munged.seed')}`])
  start('mariadbd', ['/usr/sbin/mariadbd', `--defaults-file=${join(dir, 'mariadb.cnf')}`])
  await until('munge socket', async () => existsSync(mungeSocket))
  await until('MariaDB', () => listening(ports.mariadb))
  start('slurmdbd', ['/usr/sbin/slurmdbd', '-D'])
  // slurmctld exits at once if the database cannot tell it the cluster's resources
  await until('slurmdbd', () => listening(ports.slurmdbd))
  start('slurmctld', ['/usr/sbin/slurmctld', '-D', '-i'])
  start('slurmd', ['/usr/sbin/slurmd', '-D', '-N', names.node])
  await until(`node ${names.node} idle`, async () => {
    try {
      return (await run('nsenter', inNamespace(['/usr/bin/sinfo', '-h', '-o', '%T', '-n', names.node]), { env })).stdout.trim() === 'idle'
    } catch {
      return false
    }
  })
  const startMs = Date.now() - began

  const pids = Object.fromEntries([...children].map(([name, child]) => [name, child.pid!])) as Record<Daemon, number>
  return {
    dir, toolsDir, slurmConf, ...names, workDir: join(dir, 'work'), user: SITE_USERS.target.name, ports, pids, startMs,
    queuedJobs: () => client('squeue', ['-h', '-o', '%i']).split('\n').map((l) => l.trim()).filter(Boolean),
    client, logs, stop,
  }
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** `count` consecutive ports that nothing in the namespace listens on. */
function freePorts(netns: string, count: number): number[] {
  const used = new Set(sh('nsenter', [`--net=${netns}`, 'ss', '-Hltn']).split('\n')
    .map((line) => Number(/:(\d+)\s/.exec(line)?.[1])).filter((p) => p > 0))
  for (let i = 0; i < 100; i++) {
    const base = 20000 + Math.floor(Math.random() * 4000) * 10
    const ports = Array.from({ length: count }, (_, k) => base + k)
    if (ports.every((p) => !used.has(p))) return ports
  }
  throw new Error(`no ${count} free ports in ${netns}`)
}

interface ProcessEntry { pid: number; ppid: number; cwd: string; zombie: boolean }

function processTable(): ProcessEntry[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).flatMap((entry) => {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      let cwd = ''
      try { cwd = readlinkSync(`/proc/${entry}/cwd`).replace(/ \(deleted\)$/, '') } catch { /* a zombie or a kernel thread */ }
      return [{ pid: Number(entry), ppid: Number(ppid), cwd, zombie: state === 'Z' }]
    } catch {
      return [] // exited meanwhile
    }
  })
}

/**
 * The live processes of a site: those working in its folder (the daemons, and slurmstepd, which keeps slurmd's
 * folder) and all their descendants (the jobs, wherever they work).
 */
function siteProcesses(dir: string): number[] {
  const table = processTable()
  const children = new Map<number, number[]>()
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid])
  const zombies = new Set(table.filter((p) => p.zombie).map((p) => p.pid))
  const found = new Set<number>()
  const walk = (pid: number) => {
    if (found.has(pid)) return
    found.add(pid)
    for (const child of children.get(pid) ?? []) walk(child)
  }
  for (const p of table) if (p.cwd === dir || p.cwd.startsWith(`${dir}/`)) walk(p.pid)
  found.delete(process.pid)
  return [...found].filter((pid) => !zombies.has(pid))
}

/** Kills every process of the site (daemons, job steps, jobs) by pid until none is left, then removes its folder. */
async function removeSite(dir: string): Promise<void> {
  for (let round = 0; ; round++) {
    const pids = siteProcesses(dir)
    if (pids.length === 0) break
    if (round >= 250) throw new Error(`Slurm test site ${dir}: processes ${pids.join(' ')} do not exit`)
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
    }
    await delay(20)
  }
  rmSync(dir, { recursive: true, force: true })
}

/** Removes what a test process that died left behind. */
async function sweepLeftovers(): Promise<void> {
  for (const id of abandonedSites(STATE_ROOT)) await removeSite(join(STATE_ROOT, id))
}
