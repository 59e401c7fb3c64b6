import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'
import { NotifyTrigger } from '../domain.js'
import { ConfigError } from '../config.js'
import { readSettingsFile } from '../settings-file.js'

const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'the environment variable that holds it' })
export const languages = ['zh', 'en'] as const
export const Language = Type.Enum(languages, { description: 'zh (Chinese) or en (English)' })
export type Language = Static<typeof Language>

/**
 * What a channel gets by itself, whatever users choose: these triggers of every task, in `language` (an
 * operators' group that wants every failure, say).
 */
const Subscription = {
  triggers: Type.Optional(Type.Array(NotifyTrigger, { uniqueItems: true, description: 'triggers of every task sent here' })),
  language: Type.Optional(Language),
}

export const WecomChannelSchema = Type.Object({
  type: Type.Literal('wecom'),
  key_env: EnvName,
  url: Type.String({ pattern: '^https?://', default: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send',
    description: 'the robot endpoint; ?key= and the key are added' }),
  max_per_minute: Type.Integer({ minimum: 1, maximum: 20, default: 20, description: 'the robot takes at most 20 messages a minute' }),
  ...Subscription,
}, { additionalProperties: false })

export const WebhookChannelSchema = Type.Object({
  type: Type.Literal('webhook'),
  url: Type.String({ pattern: '^https?://' }),
  secret_env: EnvName,
  ...Subscription,
}, { additionalProperties: false })

export const NotifyFileSchema = Type.Object({
  channels: Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }), Type.Object({ type: Type.Enum(['wecom', 'webhook']) })),
}, { additionalProperties: false })

export type WecomChannel = Static<typeof WecomChannelSchema> & { name: string; secret: string }
export type WebhookChannel = Static<typeof WebhookChannelSchema> & { name: string; secret: string }
/** A channel of NOTIFY_FILE with its key or secret read from the environment (never shown, never logged). */
export type Channel = WecomChannel | WebhookChannel

/** A bad NOTIFY_FILE stops the start like a bad setting (one line, exit code 2). */
export class NotifyFileError extends ConfigError {
  override name = 'NotifyFileError'
}

/** A channel as the file describes it: the name of its key's or secret's variable, not the value. */
export type ChannelConfig = (Static<typeof WecomChannelSchema> | Static<typeof WebhookChannelSchema>) & { name: string }

/** Reads and checks NOTIFY_FILE; a missing file means no channels. Each key or secret must be set in `env`. */
export function loadChannels(file: string, env: NodeJS.ProcessEnv = process.env): Channel[] {
  return withSecrets(readChannelFile(file), env, file)
}

/** NOTIFY_FILE's channels, checked, without their secrets (what the API may show: names and types). */
export function readChannelFile(file: string): ChannelConfig[] {
  const raw = readSettingsFile(file, (message) => new NotifyFileError(message))
  return raw === undefined ? [] : parseChannelFile(raw, file)
}

export function parseChannels(raw: unknown, env: NodeJS.ProcessEnv, source = 'notify'): Channel[] {
  return withSecrets(parseChannelFile(raw, source), env, source)
}

function parseChannelFile(raw: unknown, source: string): ChannelConfig[] {
  const fail = (path: string, message: string) => {
    const unknown = /schema is false|additional/i.test(message)
    return new NotifyFileError(`${source}: ${path || '/'} ${unknown
      ? 'is not a known field (keys and secrets go in the variable named by key_env or secret_env)' : message}`)
  }
  const top = Value.Errors(NotifyFileSchema, raw)[0]
  if (top) throw fail(top.instancePath, top.message)
  return Object.entries((raw as { channels: Record<string, { type: string }> }).channels).map(([name, given]) => {
    // each channel against its own type's schema, so an error names the field and not "one of two shapes"
    const schema = given.type === 'wecom' ? WecomChannelSchema : WebhookChannelSchema
    const config = Value.Default(schema, Value.Clone(given)) as Static<typeof schema>
    const error = Value.Errors(schema, config)[0]
    if (error) throw fail(`/channels/${name}${error.instancePath}`, error.message)
    return { name, ...config }
  })
}

function withSecrets(configs: readonly ChannelConfig[], env: NodeJS.ProcessEnv, source: string): Channel[] {
  return configs.map((config) => {
    const variable = config.type === 'wecom' ? config.key_env : config.secret_env
    const secret = env[variable]
    if (!secret) throw new NotifyFileError(`${source}: channel "${config.name}": the variable ${variable} is not set`)
    if (config.type === 'webhook' && !isWebhookSecret(secret)) {
      throw new NotifyFileError(`${source}: channel "${config.name}": ${variable} must be whsec_ and the base64 of at least 24 random bytes `
        + '(e.g. echo whsec_$(openssl rand -base64 32))')
    }
    return { ...config, secret } as Channel
  })
}

/** A Standard Webhooks secret: `whsec_` and base64, at least 24 bytes (192 bits) of key. */
function isWebhookSecret(secret: string): boolean {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret)
  return match !== null && Buffer.from(match[1]!, 'base64').length >= 24
}

/** The environment variables the channels' keys and secrets are read from (the log blanks their values). */
export function channelSecretVariables(channels: readonly Channel[]): string[] {
  return channels.map((c) => c.type === 'wecom' ? c.key_env : c.secret_env)
}
