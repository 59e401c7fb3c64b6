import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { SECRET, startServerProcess } from '../helpers/server-process.js'
import { startSshSite } from '../helpers/ssh-site.js'
import { runCollect, siteProvider } from '../remote/site-provider.js'

// A step that runs `env` (here, and on the SSH target through the jump, whose sshd accepts any variable a
// client sends) writes what it sees into the task's log, which users read: none of the server's variables may be
// in it, neither its settings nor the secrets (token key, SSH passwords, database address).

const ssh = await startSshSite(t)

/**
 * tap's process-info hook, which the server inherits through NODE_OPTIONS, adds its own variables to every child
 * process the server spawns: they are the test harness's, not the server's environment passed on.
 */
const harness = (line: string) => /^(_TAPJS_PROCESSINFO_\w*|NODE_OPTIONS)=/.test(line)

t.test('a step that runs env sees none of the server\'s variables, locally or over SSH', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-step-env-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const workflows = join(dir, 'workflows')
  mkdirSync(workflows)
  const dump = (host: string) => ({
    id: `env_${host}`, display_name: `env on ${host}`, type: 'exec', host,
    inputs: { command: `echo "== ${host}"; env; set -x; : traced`, env: { STEP_OWN: 'from-the-step' } },
  })
  writeFileSync(join(workflows, 'env.json'), JSON.stringify({
    name: 'env_dump', display_name: 'env dump', version: '1', steps: [dump('local'), dump('target')],
  }))
  const secrets: Record<string, string> = {
    ...ssh.env, // the hosts' password variables (password_env), which the server needs itself
    SSH_PASS_LXLOGIN: 'lx-password-c0ffee', SSH_PASS_BESLOGIN: 'bes-password-c0ffee',
    DATABASE_URL: `sqlite://${join(dir, 'data', 'secret-place-c0ffee.db')}`,
    TOPUP_VAR_WORK_AREA: '/site/var-c0ffee', SERVER_ONLY_SETTING: 'server-only-c0ffee',
  }
  const server = await startServerProcess(t, dir, {
    ...secrets, WORKFLOWS_DIR: workflows, HOSTS_FILE: ssh.writeHostsFile(), KNOWN_HOSTS_FILE: ssh.writeKnownHosts(),
    KNOWN_HOSTS_POLICY: 'strict', STEP_ENV_PASSTHROUGH: 'SITE_GRID_*', SITE_GRID_PROXY: '/tmp/x509up-site',
  })
  const created = await server.api<{ id: number }>('POST', '/api/tasks', { workflow_name: 'env_dump', task_name: 'env', start: true })
  t.equal(created.status, 201)
  const done = await server.waitForStatus(created.body.id, ['success', 'failed', 'paused'], 60_000)
  t.equal(done.status, 'success', String(done.status_reason))
  const logs = await server.api<{ items: { message: string }[] }>('GET', `/api/tasks/${created.body.id}/logs?limit=1000`)
  const lines = logs.body.items.map((l) => l.message)
  const section = (host: string) => {
    const start = lines.findIndex((l) => l.endsWith(`== ${host}`))
    const rest = lines.slice(start + 1)
    const end = rest.findIndex((l) => l.startsWith('== '))
    return end < 0 ? rest : rest.slice(0, end)
  }
  const local = section('local').filter((l) => !harness(l))
  const target = section('target')
  t.ok(local.length > 3 && target.length > 3, 'both steps logged their environment')

  const text = lines.filter((l) => !harness(l)).join('\n')
  for (const value of [SECRET, ...Object.values(secrets)]) t.notOk(text.includes(value), `no value of the server's: ${value.slice(0, 12)}…`)
  const serverNames = [...Object.keys(secrets), 'SECRET_KEY', 'DATA_DIR', 'LOG_FILE', 'HOSTS_FILE', 'WORKFLOWS_DIR',
    'PORT', 'KNOWN_HOSTS_FILE', 'STEP_ENV_PASSTHROUGH', 'TAP']
  for (const name of serverNames) {
    t.notOk(lines.some((l) => l.startsWith(`${name}=`) && !harness(l)), `${name} is not in the log`)
  }
  for (const [host, env] of [['local', local], ['target', target]] as const) {
    t.ok(env.includes('STEP_OWN=from-the-step'), `${host}: the step's own env is there`)
    t.ok(env.some((l) => l.startsWith('PATH=')) && env.some((l) => l.startsWith('HOME=')), `${host}: PATH and HOME are there`)
  }
  t.ok(local.includes('SITE_GRID_PROXY=/tmp/x509up-site'), 'STEP_ENV_PASSTHROUGH lets a named variable through to local commands')
  t.notOk(target.some((l) => l.startsWith('SITE_GRID_PROXY=')), 'nothing of the server\'s is forwarded over SSH, passed through or not')
  const names = local.filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l)).map((l) => l.slice(0, l.indexOf('='))).sort()
  const clean = ['HOME', 'LANG', 'LOGNAME', 'PATH', 'PWD', 'SHLVL', 'SITE_GRID_PROXY', 'STEP_OWN', 'TMPDIR', 'TZ', 'USER', '_']
  t.same(names.filter((n) => !clean.includes(n) && !n.startsWith('LC_')), [],
    'locally: the basics, what bash sets itself, the step\'s own and the passed-through variables, nothing else')
})

t.test('on the host, the process list shows no value of a command\'s script (another user of a login host sees it)', async (t) => {
  const { provider } = siteProvider(t, ssh)
  const seen = await runCollect(provider, 'target', 'export STEP_TOKEN=tok-c0ffee-5ecret\nps -eo args; sleep 0.2 & ps -eo args')
  t.equal(seen.exitCode, 0, seen.stderr.join('\n'))
  t.ok(seen.stdout.some((l) => l.includes('ps -eo args') || l.startsWith('ps ')), 'the process list was read')
  t.notOk(seen.stdout.some((l) => l.includes('c0ffee')), seen.stdout.filter((l) => l.includes('c0ffee')).join('\n'))
})
