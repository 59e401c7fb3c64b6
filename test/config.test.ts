import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ConfigError, EnvSchema, loadConfig } from '../src/config.js'

function configError(env: Record<string, string>): Error {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`)
}

t.test('defaults', async (t) => {
  const config = loadConfig({})
  t.equal(config.HOST, '0.0.0.0')
  t.equal(config.PORT, 5000)
  t.equal(config.MAX_PARALLEL_TASKS, 3)
  t.equal(config.DEFAULT_TIMEOUT_MINUTES, 30)
  t.equal(config.MAX_RETRY_ATTEMPTS, 3)
  t.equal(config.RETRY_DELAY_SECONDS, 60)
  t.equal(config.LOG_FILE, 'logs/topup_api.log')
  t.equal(config.WORKFLOWS_DIR, 'workflows')
  t.equal(config.HOSTS_FILE, 'hosts.json')
  t.equal(config.databaseFile, resolve('data', 'topup.db'))
  t.ok(Object.isFrozen(config))
})

t.test('good values are converted to their types', async (t) => {
  const config = loadConfig({
    PORT: '8080', HOST: '127.0.0.1', MAX_PARALLEL_TASKS: '5', LOG_LEVEL: 'debug', KNOWN_HOSTS_POLICY: 'strict',
    DATABASE_URL: 'sqlite:data/other.db', TOPUP_VAR_WORK_AREA: '/tmp/w', EMPTY: '',
  })
  t.equal(config.PORT, 8080)
  t.equal(config.MAX_PARALLEL_TASKS, 5)
  t.equal(config.LOG_LEVEL, 'debug')
  t.equal(config.KNOWN_HOSTS_POLICY, 'strict')
  t.equal(config.databaseFile, resolve('data/other.db'))
  t.same(config.siteVars, { work_area: '/tmp/w' })
})

t.test('DATABASE_URL forms', async (t) => {
  t.equal(loadConfig({ DATABASE_URL: 'sqlite:///var/lib/topup/topup.db' }).databaseFile, '/var/lib/topup/topup.db')
  t.equal(loadConfig({ DATA_DIR: '/srv/topup' }).databaseFile, '/srv/topup/topup.db')
  t.match(configError({ DATABASE_URL: 'postgres://x' }).message, /^DATABASE_URL=postgres:\/\/x is invalid/)
})

t.test('an empty variable counts as unset', async (t) => {
  t.equal(loadConfig({ PORT: '' }).PORT, 5000)
})

const bad: [string, string][] = [
  ['MAX_PARALLEL_TASKS', 'abc'], ['PORT', '99999'], ['PORT', '0'], ['PORT', '12.5'], ['LOG_LEVEL', 'loud'],
  ['KNOWN_HOSTS_POLICY', 'yolo'], ['RETRY_DELAY_SECONDS', '-1'], ['DEFAULT_TIMEOUT_MINUTES', '0'],
]
for (const [name, value] of bad) {
  t.test(`${name}=${value} is refused with one line naming the variable`, async (t) => {
    const error = configError({ [name]: value })
    t.match(error.message, new RegExp(`^${name}=`))
    t.notMatch(error.message, /\n/)
  })
}

t.test('every variable of EnvSchema has a description (the README and .env.example are written from them)', async (t) => {
  for (const [name, schema] of Object.entries(EnvSchema.properties)) {
    t.ok((schema as { description?: string }).description, name)
  }
})

t.test('.env.example names every variable of EnvSchema', async (t) => {
  const { readFileSync } = await import('node:fs')
  const example = readFileSync('.env.example', 'utf8')
  for (const name of [...Object.keys(EnvSchema.properties), 'SSH_PASS_LXLOGIN', 'SSH_PASS_BESLOGIN', 'TOPUP_VAR_']) {
    t.match(example, new RegExp(`^#? ?${name}`, 'm'), name)
  }
})

t.test('a bad value stops the start with one clear line and a non-zero exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, '.env'), '')
  const result = spawnSync(resolve('node_modules/.bin/tsx'), [resolve('src/main.ts'), 'serve'], {
    cwd: dir, env: { ...process.env, PORT: '99999', DATA_DIR: join(dir, 'data') }, encoding: 'utf8', timeout: 30_000,
  })
  t.not(result.status, 0)
  const lines = result.stderr.trim().split('\n')
  t.equal(lines.length, 1, result.stderr)
  t.match(lines[0], /^PORT=99999 is invalid: .*65535/)
})

t.test('.env is read without overriding the environment', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-dotenv-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, '.env'), 'MAX_PARALLEL_TASKS=abc\nLOG_LEVEL=loud\n')
  const result = spawnSync(resolve('node_modules/.bin/tsx'), [resolve('src/main.ts'), 'serve'], {
    cwd: dir, env: { ...process.env, MAX_PARALLEL_TASKS: '4' }, encoding: 'utf8', timeout: 30_000,
  })
  t.not(result.status, 0)
  t.match(result.stderr.trim(), /^LOG_LEVEL=loud is invalid/)
})
