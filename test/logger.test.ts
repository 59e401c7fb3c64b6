import t from 'tap'
import { mkdtempSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Type } from 'typebox'
import { EnvSchema, secretSettings } from '../src/config.js'
import { createLogger, loggableUrl } from '../src/logger.js'

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'topup-log-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const quiet = { write: () => true }

t.test('JSON lines to the file (folder created), secrets redacted', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'nested', 'topup.log')
  const stdout: string[] = []
  const { logger, close } = createLogger({ LOG_LEVEL: 'info', LOG_FILE: file, LOG_MAX_BYTES: 0 }, { write: (l) => stdout.push(l) })
  logger.info({ req: { method: 'GET', url: '/api/ws?token=eyJabc&x=1', headers: { authorization: 'Bearer eyJabc' } } }, 'hello')
  logger.info({ password: 'hunter2', config: { SECRET_KEY: 's3cr3t', token: 'tok' }, headers: { authorization: 'Bearer x' } }, 'secrets')
  close()
  const text = readFileSync(file, 'utf8')
  const lines = text.trim().split('\n').map((l) => JSON.parse(l))
  t.equal(lines.length, 2)
  t.match(lines[0], { msg: 'hello', req: { method: 'GET', url: '/api/ws?token=[redacted]&x=1' } })
  t.notOk('headers' in lines[0].req, 'request headers are not logged')
  t.notMatch(text, /hunter2|s3cr3t|eyJabc|"tok"|Bearer x/)
  t.equal(stdout.length, 2, 'the same lines go to stdout')
})

t.test('size-based rotation', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'topup.log')
  const { logger, close } = createLogger({ LOG_LEVEL: 'info', LOG_FILE: file, LOG_MAX_BYTES: 1000 }, quiet)
  for (let i = 0; i < 30; i++) logger.info({ i }, 'a line of about a hundred bytes once pino adds its fields')
  close()
  t.ok(existsSync(`${file}.1`), 'rotated')
  t.ok(readFileSync(file).length <= 1000)
  t.ok(readFileSync(`${file}.1`).length <= 1000)
  const last = readFileSync(file, 'utf8').trim().split('\n').at(-1)!
  t.equal(JSON.parse(last).i, 29, 'the newest line is in the current file')
})

t.test('reopen after an external move (logrotate, SIGHUP)', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'topup.log')
  const { logger, reopen, close } = createLogger({ LOG_LEVEL: 'info', LOG_FILE: file, LOG_MAX_BYTES: 0 }, quiet)
  logger.info('before')
  renameSync(file, `${file}.old`)
  reopen()
  logger.info('after')
  close()
  t.match(readFileSync(`${file}.old`, 'utf8'), /before/)
  t.match(readFileSync(file, 'utf8'), /after/)
  t.notMatch(readFileSync(file, 'utf8'), /before/)
})

t.test('loggableUrl', async (t) => {
  t.equal(loggableUrl('/api/tasks?limit=5'), '/api/tasks?limit=5')
  t.equal(loggableUrl('/api/ws?access_token=abc'), '/api/ws?access_token=[redacted]')
})

t.test('every setting marked secret is redacted, at the top and one level down; so are the hosts\' password variables', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'topup.log')
  t.ok(secretSettings().includes('SECRET_KEY') && secretSettings().includes('DATABASE_URL'), secretSettings().join(' '))
  const { logger, close } = createLogger({ LOG_LEVEL: 'info', LOG_FILE: file, LOG_MAX_BYTES: 0 }, quiet, ['SSH_PASS_SITE'])
  for (const name of [...secretSettings(), 'SSH_PASS_SITE']) {
    logger.info({ [name]: `top-${name}-c0ffee`, config: { [name]: `nested-${name}-c0ffee` } }, name)
  }
  close()
  const text = readFileSync(file, 'utf8')
  t.equal(text.trim().split('\n').length, secretSettings().length + 1)
  t.notMatch(text, /c0ffee/)
})

t.test('a new setting marked secret is redacted without any change to the logger', async (t) => {
  const properties = EnvSchema.properties as Record<string, unknown>
  properties.NEW_SERVICE_TOKEN = Type.Optional(Type.String({ minLength: 1, description: 'a test setting', secret: true }))
  t.teardown(() => { delete properties.NEW_SERVICE_TOKEN })
  const dir = tempDir(t)
  const file = join(dir, 'topup.log')
  const { logger, close } = createLogger({ LOG_LEVEL: 'info', LOG_FILE: file, LOG_MAX_BYTES: 0 }, quiet)
  logger.info({ NEW_SERVICE_TOKEN: 'tok-c0ffee', env: { NEW_SERVICE_TOKEN: 'tok-c0ffee', PATH: '/usr/bin' } }, 'new')
  close()
  const line = JSON.parse(readFileSync(file, 'utf8'))
  t.match(line, { NEW_SERVICE_TOKEN: '[redacted]', env: { NEW_SERVICE_TOKEN: '[redacted]', PATH: '/usr/bin' } })
})
