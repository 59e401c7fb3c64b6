import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { LocalTransport, type LocalTransportOptions } from '../../src/remote/local/local-transport.js'

// Local commands start from a clean environment: the login basics, the allow-list, never a secret setting.

const server = {
  PATH: '/usr/bin:/bin', HOME: '/home/topup', USER: 'topup', LOGNAME: 'topup', LANG: 'C.UTF-8', LC_TIME: 'C', TZ: 'UTC',
  TMPDIR: '/tmp', SECRET_KEY: 'key-c0ffee', DATABASE_URL: 'sqlite:///srv/db-c0ffee', SSH_PASS_LXLOGIN: 'pw-c0ffee',
  HOSTS_FILE: '/etc/topup/hosts.json', SITE_TOOL_HOME: '/opt/tool', SITE_TOOL_LICENSE: 'lic', OTHER: 'x',
}

process.env.SECRET_KEY = 'server-key-c0ffee'
process.env.DATABASE_URL = 'sqlite:///srv/server-c0ffee'

/** The variables `env` prints in a command run with these options (bash's own and tap's left out). */
async function seen(options: LocalTransportOptions): Promise<Record<string, string>> {
  const lines: string[] = []
  const result = await new LocalTransport({ env: server, ...options })
    .run({ command: 'env', signal: AbortSignal.timeout(30_000), onLine: (_, line) => lines.push(line) })
  t.equal(result.exitCode, 0)
  // a line that does not begin NAME= continues the value before it (tap's own variables hold lists of files)
  const vars = Object.fromEntries(lines.filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
  for (const own of ['PWD', 'SHLVL', '_', 'NODE_OPTIONS']) delete vars[own]
  for (const name of Object.keys(vars)) if (name.startsWith('_TAPJS_PROCESSINFO_')) delete vars[name]
  return vars
}

t.test('the spawner that starts the commands holds no more of the server\'s environment than they do', async (t) => {
  // set before this file's first command, so the spawner, forked then, saw it
  const lines: string[] = []
  await new LocalTransport({ env: server })
    .run({ command: 'tr "\\0" "\\n" < /proc/$PPID/environ', signal: AbortSignal.timeout(30_000), onLine: (_, line) => lines.push(line) })
  t.ok(lines.some((l) => l.startsWith('PATH=')), 'it has a PATH')
  t.same(lines.filter((l) => /^(SECRET_KEY|DATABASE_URL|OTHER)=/.test(l)), [], 'no setting of the server')
})

const basics = { PATH: '/usr/bin:/bin', HOME: '/home/topup', USER: 'topup', LOGNAME: 'topup', LANG: 'C.UTF-8', LC_TIME: 'C', TZ: 'UTC', TMPDIR: '/tmp' }

t.test('only the basics by default', async (t) => {
  t.same(await seen({ passthrough: [] }), basics)
})

t.test('the allow-list adds names and NAME* prefixes, never a secret setting nor a withheld name', async (t) => {
  t.same(await seen({ passthrough: ['OTHER', 'SITE_TOOL_*'] }), { ...basics, OTHER: 'x', SITE_TOOL_HOME: '/opt/tool', SITE_TOOL_LICENSE: 'lic' })
  t.same(await seen({ passthrough: ['SECRET_KEY', 'DATABASE_*', 'SSH_*', 'OTHER'], withhold: ['SSH_PASS_LXLOGIN'] }), { ...basics, OTHER: 'x' })
})

t.test('STEP_ENV_PASSTHROUGH: names and prefixes; a secret setting or a bad name is refused in one line', async (t) => {
  t.equal(loadConfig({ STEP_ENV_PASSTHROUGH: 'A, B_* C' }).STEP_ENV_PASSTHROUGH, 'A, B_* C')
  t.equal(loadConfig({}).STEP_ENV_PASSTHROUGH, 'DEMO_STEP_SECONDS', 'the demo\'s pace passes by default')
  for (const [value, why] of [['SECRET_KEY', /SECRET_KEY would hand a secret setting/], ['OTHER SECRET*', /SECRET\* would hand a secret/],
    ['DATABASE_URL', /DATABASE_URL would hand/], ['A-B', /expected variable names/], ['*', /expected variable names/]] as const) {
    let error: unknown = null
    try { loadConfig({ STEP_ENV_PASSTHROUGH: value }) } catch (caught) { error = caught }
    t.ok(error instanceof ConfigError, value)
    t.match(String((error as Error | null)?.message), new RegExp(`^STEP_ENV_PASSTHROUGH=.* is invalid: .*${why.source}`), value)
  }
})
