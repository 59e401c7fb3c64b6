import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { CliError } from './exit-codes.js'

/** Where the server is and who the user is: the saved login, with TOPUP_URL / TOPUP_TOKEN laid over it. */
export interface Settings {
  url: string
  token: string | undefined
}

export interface SavedLogin {
  url: string
  token: string
}

const DEFAULT_URL = 'http://localhost:5000'

/** $XDG_CONFIG_HOME/topup (the spec ignores a relative value), else ~/.config/topup. */
export function configDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config')
  return join(base, 'topup')
}

export const configFile = (env: NodeJS.ProcessEnv) => join(configDir(env), 'config.json')

function readSavedLogin(env: NodeJS.ProcessEnv): Partial<SavedLogin> {
  let text: string
  try {
    text = readFileSync(configFile(env), 'utf8')
  } catch {
    return {}
  }
  let value: Record<string, unknown>
  try {
    value = JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new CliError(`${configFile(env)} is not JSON: run topup login again`)
  }
  return {
    ...(typeof value.url === 'string' ? { url: value.url } : {}),
    ...(typeof value.token === 'string' ? { token: value.token } : {}),
  }
}

/**
 * Writes the login readable by its owner only: the folder 0700, the file 0600 from its creation (a temporary
 * file renamed over the old one, so no moment exists where the token sits in a file others may read).
 */
export function saveLogin(env: NodeJS.ProcessEnv, login: SavedLogin): string {
  const dir = configDir(env)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const file = configFile(env)
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 })
  chmodSync(temporary, 0o600)
  renameSync(temporary, file)
  return file
}

export function resolveSettings(env: NodeJS.ProcessEnv): Settings {
  const saved = readSavedLogin(env)
  return {
    url: normalizeUrl(env.TOPUP_URL || saved.url || DEFAULT_URL),
    token: env.TOPUP_TOKEN || saved.token,
  }
}

export const normalizeUrl = (url: string) => url.replace(/\/+$/, '')
