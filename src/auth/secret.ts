import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config.js'

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
