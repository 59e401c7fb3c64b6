import t from 'tap'
import { mkdtempSync, readFileSync, renameSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
