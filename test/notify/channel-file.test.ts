import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'
import { channelSecretVariables, loadChannels, parseChannels } from '../../src/notify/channel-file.js'
import { freePort } from '../helpers/server-process.js'
import { webhookSecret } from './stand-ins.js'

const secret = webhookSecret()
const env = { ROBOT_KEY: 'robot-key', HOOK_SECRET: secret }

t.test('channels with their defaults and their secrets from the named variables', async (t) => {
  const channels = parseChannels({
    channels: {
      group: { type: 'wecom', key_env: 'ROBOT_KEY', triggers: ['failed'], language: 'en' },
      hook: { type: 'webhook', url: 'https://hooks.example.org/topup', secret_env: 'HOOK_SECRET' },
    },
  }, env)
  t.match(channels, [
    { name: 'group', type: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send', max_per_minute: 20, secret: 'robot-key', triggers: ['failed'] },
    { name: 'hook', type: 'webhook', secret },
  ])
  t.same(channelSecretVariables(channels), ['ROBOT_KEY', 'HOOK_SECRET'])
})

t.test('a bad file stops the start with a line that names what to fix, never a secret', async (t) => {
  const bad = (raw: unknown, message: RegExp, e: Record<string, string> = env) =>
    t.throws(() => parseChannels(raw, e), { name: 'NotifyFileError', message }, String(message))
  bad({ channels: { group: { type: 'wecom', key_env: 'ROBOT_KEY', key: 'inline' } } }, /\/channels\/group\/key is not a known field \(keys and secrets go in the variable/)
  bad({ channels: { group: { type: 'sms' } } }, /\/channels\/group\/type/)
  bad({ channels: { group: { type: 'wecom', key_env: 'NOT_SET' } } }, /channel "group": the variable NOT_SET is not set/)
  bad({ channels: { group: { type: 'wecom', key_env: 'ROBOT_KEY', max_per_minute: 21 } } }, /max_per_minute/)
  bad({ channels: { hook: { type: 'webhook', url: 'ftp://x', secret_env: 'HOOK_SECRET' } } }, /\/channels\/hook\/url/)
  bad({ channels: { hook: { type: 'webhook', url: 'https://x', secret_env: 'WEAK' } } }, /WEAK must be whsec_/, { WEAK: 'hunter2' })
  t.throws(() => parseChannels({ channels: { hook: { type: 'webhook', url: 'https://x', secret_env: 'WEAK' } } }, { WEAK: 'hunter2' }),
    { message: /^(?!.*hunter2)/ }, 'the weak secret itself is not repeated')
  bad({ channels: { group: { type: 'wecom', key_env: 'ROBOT_KEY', triggers: ['sometimes'] } } }, /triggers/)
})

t.test('NOTIFY_FILE: missing means none; not JSON is one line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-notify-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  t.same(loadChannels(join(dir, 'none.json'), env), [])
  writeFileSync(join(dir, 'notify.json'), '{ channels')
  t.throws(() => loadChannels(join(dir, 'notify.json'), env), { message: /notify\.json: not valid JSON/ })
})

t.test('the server stops at start on a channel whose key is not set, with one line naming the variable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-notify-start-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'notify.json'), JSON.stringify({ channels: { group: { type: 'wecom', key_env: 'TOPUP_TEST_UNSET_KEY' } } }))
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: join(dir, 'data'), NOTIFY_FILE: join(dir, 'notify.json'), HOST: '127.0.0.1', PORT: String(await freePort()) }
  delete env.TOPUP_TEST_UNSET_KEY
  const result = spawnSync(resolve('node_modules/.bin/tsx'), [resolve('src/main.ts'), 'serve'], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 })
  t.equal(result.status, 2, result.stderr)
  t.same(result.stderr.trim().split('\n'), [`${join(dir, 'notify.json')}: channel "group": the variable TOPUP_TEST_UNSET_KEY is not set`])
})
