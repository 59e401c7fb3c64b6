import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config.js'
import type { TokenKeys } from './token.js'

/**
 * SECRET_KEY, or a random key generated once into DATA_DIR/secret.key (mode 0600) and reused, so tokens
 * survive restarts without anyone having to invent a key. The key itself is never logged.
 */
export function resolveSecretKey(config: Pick<Config, 'SECRET_KEY' | 'DATA_DIR'>,
  notify: (message: string, file: string) => void = () => {}): string {
  if (config.SECRET_KEY) return config.SECRET_KEY
  const file = join(config.DATA_DIR, 'secret.key')
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim()
    if (key.length >= 32) return key
  }
  mkdirSync(config.DATA_DIR, { recursive: true })
  const key = randomBytes(48).toString('base64url')
  writeFileSync(file, `${key}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  notify('SECRET_KEY is not set: generated a random token key (kept for later starts)', file)
  return key
}

/**
 * The keys the server verifies tokens with: the current one (as above) and, during a change of key,
 * SECRET_KEY_PREVIOUS, so that tokens signed before the change keep working until they expire.
 */
export function tokenKeys(config: Pick<Config, 'SECRET_KEY' | 'SECRET_KEY_PREVIOUS' | 'DATA_DIR'>,
  notify?: (message: string, file: string) => void): TokenKeys {
  return {
    current: resolveSecretKey(config, notify),
    ...(config.SECRET_KEY_PREVIOUS ? { previous: config.SECRET_KEY_PREVIOUS } : {}),
    source: config.SECRET_KEY ? 'SECRET_KEY' : 'DATA_DIR/secret.key',
  }
}
