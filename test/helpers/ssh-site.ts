import { execFileSync, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { abandonedSites } from './abandoned-sites.js'

/**
 * A private jump sshd and target sshd for one test file, in a network namespace of their own: the jump listens
 * on a veth address the root namespace reaches, the target only on the namespace's 127.0.0.1, so the target is
 * reachable only through the jump (as beslogin behind lxlogin). Users are shared between sites (of every
 * checkout on the machine) and held while a site runs: the last site's stop() removes them (holdSiteUsers);
 * everything else (namespace, veth, keys, configs, daemons) is per site and removed in stop().
 */
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/ssh-site')
const STATE_ROOT = '/tmp/topup-ssh-site'
export const SITE_USERS = {
  jump: { name: 'topup-jump', password: 'jump-S3cret pw' },
  target: { name: 'topup-target', password: 'target-S3cret pw' },
} as const

interface Teardown { teardown(fn: () => unknown): void }
type Role = 'jump' | 'target'
export interface HostEntry { [key: string]: unknown; hostname: string; port: number; username: string }

export interface SshSite {
  dir: string
  netns: string
  jumpAddress: string
  ports: Record<Role, number>
  hosts: Record<'jump' | 'target' | 'jump-key' | 'target-key', HostEntry>
  env: Record<string, string>
  clientKeyFile: string
  fingerprints: Record<Role, string>
  /** "ssh-ed25519 AAAA…" of each host key. */
  publicKeys: Record<Role, string>
  /** known_hosts lines for both hops, plain `[host]:port` form. */
  knownHostsLines: string[]
  writeHostsFile(extra?: Record<string, HostEntry>): string
  writeKnownHosts(lines?: string[]): string
  /** An OpenSSH client config for target-via-jump (bench, CLI checks). */
  sshConfigFile: string
  start(role: Role): Promise<void>
  /** Kills the listener and every connection of that sshd. */
  kill(role: Role): void
  /** Kills the jump's connection processes (open connections drop; new ones still work). */
  dropConnections(): void
  /** A new host key for the target, restarted. Returns the new fingerprint. */
  replaceHostKey(role: Role): Promise<string>
  /** Pids of the target user's processes whose command line contains `pattern`. */
  targetProcesses(pattern: string): number[]
  /** Lets the public key in `publicKeyFile` log in as the site users (both hops share one authorized_keys). */
  authorizeKey(publicKeyFile: string): void
  stop(): void
}

let counter = 0

export async function startSshSite(t: Teardown, opts: { maxSessions?: number } = {}): Promise<SshSite> {
  const id = `${randomBytes(3).toString('hex')}${(counter++).toString(16)}`.slice(0, 7)
  // first: without root, this is what says so, in one line
  const releaseUsers = holdSiteUsers(`ssh-${id}`)
  sweepLeftovers()
  mkdirSync('/run/sshd', { recursive: true })
  const dir = join(STATE_ROOT, id)
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  chmodSync(dir, 0o755)
  writeFileSync(join(dir, 'owner'), String(process.pid))
  const netns = `topup-ssh-${id}`
  const jumpAddress = createNamespace(netns, id)
  const ports = { jump: 2222, target: 2223 }
  const keygen = (file: string) => sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file])
  keygen(join(dir, 'jump_host_key'))
  keygen(join(dir, 'target_host_key'))
  const clientKeyFile = join(dir, 'client_key')
  keygen(clientKeyFile)
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKeyFile}.pub`), { mode: 0o644 })
  const procs: Partial<Record<Role, number>> = {}

  const writeConfig = (role: Role) => {
    const fill: Record<string, string> = {
      LISTEN: role === 'jump' ? jumpAddress : '127.0.0.1', PORT: String(ports[role]),
      HOST_KEY: join(dir, `${role}_host_key`), PID_FILE: join(dir, `${role}.pid`),
      AUTHORIZED_KEYS: join(dir, 'authorized_keys'), USERS: SITE_USERS[role].name,
      MAX_SESSIONS: String(role === 'target' ? opts.maxSessions ?? 10 : 10),
    }
    const text = readFileSync(join(FIXTURES, 'sshd_config.template'), 'utf8')
      .replace(/@([A-Z_]+)@/g, (_, k: string) => fill[k] ?? '')
    // sessions of this site's sshd get the login noise (LOGIN_NOISE); sites of other checkouts sharing the users do not.
    // AcceptEnv: every variable a client sends reaches the commands, so that a test sees whatever the service forwards.
    writeFileSync(join(dir, `${role}.sshd_config`), `${text}SetEnv ${NOISE_SWITCH}=1\nAcceptEnv *\n`)
  }
  const start = async (role: Role) => {
    if (procs[role] !== undefined) return
    writeConfig(role)
    const log = join(dir, `${role}.log`)
    writeFileSync(log, '')
    const child = spawn('ip', ['netns', 'exec', netns, '/usr/sbin/sshd', '-D', '-f', join(dir, `${role}.sshd_config`), '-E', log],
      { stdio: 'ignore' })
    procs[role] = child.pid!
    child.unref()
    for (let i = 0; i < 500; i++) {
      if (readFileSync(log, 'utf8').includes('Server listening')) return
      if (child.exitCode !== null) break
      await delay(5)
    }
    throw new Error(`${role} sshd did not start: ${readFileSync(log, 'utf8')}`)
  }
  const kill = (role: Role) => {
    const pid = procs[role]
    if (pid === undefined) return
    for (const p of [pid, ...descendants(pid)]) killPid(p)
    delete procs[role]
  }
  await Promise.all([start('jump'), start('target')])

  const publicKey = (role: Role) => readFileSync(join(dir, `${role}_host_key.pub`), 'utf8').trim()
  const fingerprint = (role: Role) => fingerprintOf(publicKey(role))
  const base = { jump: { hostname: jumpAddress, port: ports.jump, username: SITE_USERS.jump.name },
    target: { hostname: '127.0.0.1', port: ports.target, username: SITE_USERS.target.name } }
  const hosts = {
    jump: { ...base.jump, password_env: 'TOPUP_TEST_JUMP_PASSWORD' },
    target: { ...base.target, password_env: 'TOPUP_TEST_TARGET_PASSWORD', via: 'jump' },
    'jump-key': { ...base.jump, private_key_file: clientKeyFile },
    'target-key': { ...base.target, private_key_file: clientKeyFile, via: 'jump-key' },
  }
  const knownHostsLines = () => [`[${jumpAddress}]:${ports.jump} ${publicKey('jump')}`,
    `[127.0.0.1]:${ports.target} ${publicKey('target')}`]
  const sshConfigFile = join(dir, 'ssh_config')
  writeFileSync(sshConfigFile, [
    `Host jump\n  HostName ${jumpAddress}\n  Port ${ports.jump}\n  User ${SITE_USERS.jump.name}`,
    `Host target\n  HostName 127.0.0.1\n  Port ${ports.target}\n  User ${SITE_USERS.target.name}\n  ProxyJump jump`,
    `Host *\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n  StrictHostKeyChecking yes\n  PubkeyAuthentication no\n  PreferredAuthentications password\n  LogLevel ERROR`,
  ].join('\n') + '\n')
  writeFileSync(join(dir, 'known_hosts'), knownHostsLines().join('\n') + '\n')

  let stopped = false
  const site: SshSite = {
    dir, netns, jumpAddress, ports, hosts, clientKeyFile, sshConfigFile,
    env: { TOPUP_TEST_JUMP_PASSWORD: SITE_USERS.jump.password, TOPUP_TEST_TARGET_PASSWORD: SITE_USERS.target.password },
    get fingerprints() { return { jump: fingerprint('jump'), target: fingerprint('target') } },
    get publicKeys() { return { jump: publicKey('jump'), target: publicKey('target') } },
    get knownHostsLines() { return knownHostsLines() },
    writeHostsFile(extra = {}) {
      const file = join(dir, `hosts-${randomBytes(4).toString('hex')}.json`)
      writeFileSync(file, JSON.stringify({ hosts: { ...hosts, ...extra } }, null, 2))
      return file
    },
    writeKnownHosts(lines = knownHostsLines()) {
      const file = join(dir, `known_hosts-${randomBytes(4).toString('hex')}`)
      writeFileSync(file, lines.join('\n') + '\n')
      return file
    },
    start, kill,
    dropConnections() {
      const pid = procs.jump
      if (pid !== undefined) for (const p of descendants(pid)) killPid(p)
    },
    async replaceHostKey(role) {
      kill(role)
      rmSync(join(dir, `${role}_host_key`), { force: true })
      rmSync(join(dir, `${role}_host_key.pub`), { force: true })
      keygen(join(dir, `${role}_host_key`))
      await start(role)
      return fingerprint(role)
    },
    targetProcesses(pattern) {
      try {
        return sh('pgrep', ['-u', SITE_USERS.target.name, '-f', pattern]).split('\n').filter(Boolean).map(Number)
      } catch {
        return []
      }
    },
    authorizeKey(publicKeyFile) {
      appendFileSync(join(dir, 'authorized_keys'), readFileSync(publicKeyFile, 'utf8').trim() + '\n')
    },
    stop() {
      if (stopped) return
      stopped = true
      kill('jump')
      kill('target')
      removeSite(dir, netns)
      releaseUsers()
    },
  }
  t.teardown(() => site.stop())
  return site
}

export function fingerprintOf(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.split(/\s+/)[1] ?? '', 'base64')
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] })
}

/**
 * What the users' ~/.bashrc prints first, as login hosts do (IHEP's print from .bashrc): bash reads .bashrc for a
 * command sent over ssh, so every exec channel starts with these lines on stdout and stderr. They look like
 * values the service reads back (an exit code, a process group answer, a file name, a framed line of another
 * call, a job id) and the last has no newline, so it runs into the first line the command prints. The SFTP
 * subsystem is started through the same shell: a line on its stdout would break the protocol (as it does on real
 * hosts), so it gets the stderr lines only.
 */
const NOISE_SWITCH = 'TOPUP_TEST_LOGIN_NOISE'
export const LOGIN_NOISE = {
  stdout: ['You have 2 new mail messages', '0', 'GONE', 'out_1.root', '@@TOPUP-0123456789abcdef V 7',
    '1 job(s) submitted to cluster 123.', 'Welcome to beslogin. '],
  stderr: ['module: loaded 3 modules', 'DONE'],
}
const NOISE_LINES = new Set([...LOGIN_NOISE.stdout, ...LOGIN_NOISE.stderr])

/**
 * A command's lines without the login noise, for tests that compare the command's own output (the noise stays in
 * a task's log: it is what the host printed). The banner without a newline is cut from the front of a line.
 */
export function withoutNoise(lines: readonly string[]): string[] {
  const banner = LOGIN_NOISE.stdout.at(-1)!
  return lines.flatMap((line) => {
    const rest = line.startsWith(banner) ? line.slice(banner.length) : line
    return (rest === '' && line !== '') || NOISE_LINES.has(rest) ? [] : [rest]
  })
}

const BASHRC_NOISE = `# Topup test site: login noise (test/helpers/ssh-site.ts)
if [ -n "$${NOISE_SWITCH}" ]; then
  case "$BASH_EXECUTION_STRING" in
    *sftp-server*) ;;
    *) printf '%s\\n' ${LOGIN_NOISE.stdout.slice(0, -1).map((l) => `'${l}'`).join(' ')}; printf '%s' '${LOGIN_NOISE.stdout.at(-1)}' ;;
  esac
  printf '%s\\n' ${LOGIN_NOISE.stderr.map((l) => `'${l}'`).join(' ')} >&2
fi
`

/** Puts the noise at the top of the user's ~/.bashrc (before Debian's "not interactive: return"), atomically. */
function writeNoisyBashrc(name: string): void {
  const home = sh('getent', ['passwd', name]).split(':')[5]!
  const file = join(home, '.bashrc')
  const current = existsSync(file) ? readFileSync(file, 'utf8') : ''
  if (current.startsWith(BASHRC_NOISE)) return
  const rest = current.startsWith('# Topup test site: login noise') ? current.slice(current.indexOf('\nfi\n') + 4) : current
  const next = `${file}.${process.pid}`
  writeFileSync(next, BASHRC_NOISE + rest, { mode: 0o644 })
  sh('chown', [`${name}:${name}`, next])
  renameSync(next, file)
}

const USERS_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/test-users.sh')

function usersScript(args: string[], input?: string): void {
  try {
    execFileSync('bash', [USERS_SCRIPT, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] })
  } catch (error) {
    throw new Error(String((error as { stderr?: unknown }).stderr ?? '').trim() || (error as Error).message)
  }
}

/**
 * Creates the site users (or resets their passwords) and holds them until the returned release: the last
 * holder's release removes them (scripts/test-users.sh), and so does `npm test` after a run that was killed.
 */
export function holdSiteUsers(name: string): () => void {
  const lease = `${process.pid}-${name}`
  for (let attempt = 0; ; attempt++) {
    try {
      usersScript(['ensure', lease], Object.values(SITE_USERS).map((u) => `${u.name}:${u.password}\n`).join(''))
      for (const { name: user } of Object.values(SITE_USERS)) writeNoisyBashrc(user)
      break
    } catch (error) {
      // a checkout whose helpers take no lock is creating the same user at this moment (/etc/passwd locked)
      if (attempt >= 20 || /need root/.test((error as Error).message)) throw error
      execFileSync('sleep', ['0.05'])
    }
  }
  let released = false
  return () => {
    if (released) return
    released = true
    usersScript(['release', lease])
  }
}

/** A namespace with loopback up and a veth pair in a free 10.213.x.y/30; returns the namespace side's address. */
function createNamespace(netns: string, id: string): string {
  const used = sh('ip', ['-4', '-o', 'addr'])
  let net = ''
  for (let i = 0; i < 100 && (net === '' || used.includes(` ${net}`)); i++) {
    net = `10.213.${Math.floor(Math.random() * 256)}.${4 * Math.floor(Math.random() * 63)}`
  }
  const prefix = net.split('.').slice(0, 3).join('.')
  const last = Number(net.split('.')[3])
  const [outer, inner] = [`${prefix}.${last + 1}`, `${prefix}.${last + 2}`]
  const [a, b] = [`tpa${id}`, `tpb${id}`]
  sh('ip', ['netns', 'add', netns])
  sh('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b])
  sh('ip', ['link', 'set', b, 'netns', netns])
  sh('ip', ['addr', 'add', `${outer}/30`, 'dev', a])
  sh('ip', ['link', 'set', a, 'up'])
  sh('ip', ['-n', netns, 'addr', 'add', `${inner}/30`, 'dev', b])
  sh('ip', ['-n', netns, 'link', 'set', b, 'up'])
  sh('ip', ['-n', netns, 'link', 'set', 'lo', 'up'])
  return inner
}

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch { /* exited meanwhile */ }
  }
  const out: number[] = []
  const walk = (p: number) => { for (const c of children.get(p) ?? []) { out.push(c); walk(c) } }
  walk(pid)
  // only sshd processes: the users' commands are not part of the daemon
  return out.filter((p) => { try { return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sshd' } catch { return false } })
}

function killPid(pid: number): void {
  try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
}

function removeSite(dir: string, netns: string): void {
  for (const role of ['jump', 'target']) {
    const pidFile = join(dir, `${role}.pid`)
    if (!existsSync(pidFile)) continue
    const pid = Number(readFileSync(pidFile, 'utf8').trim())
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) {
        for (const p of [pid, ...descendants(pid)]) killPid(p)
      }
    } catch { /* not running */ }
  }
  try { sh('ip', ['netns', 'del', netns]) } catch { /* already gone */ }
  rmSync(dir, { recursive: true, force: true })
}

/** Removes what a test process that died left behind. */
function sweepLeftovers(): void {
  for (const id of abandonedSites(STATE_ROOT)) removeSite(join(STATE_ROOT, id), `topup-ssh-${id}`)
}

/** Pids of the sshd processes serving the open connections of one hop of `site` (its listener not included). */
export function sshdSessions(site: Pick<SshSite, 'dir'>, role: Role): number[] {
  const pid = Number(readFileSync(join(site.dir, `${role}.pid`), 'utf8').trim())
  return descendants(pid)
}
