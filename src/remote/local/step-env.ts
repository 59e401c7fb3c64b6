import { DEFAULT_STEP_ENV_PASSTHROUGH, passthroughEntries, secretSettings } from '../../config.js'

/**
 * What a local command starts from: the login basics, never the server's own settings. The server's environment
 * holds SECRET_KEY (enough to sign an admin token), the SSH passwords and the database's address; a command that
 * runs `env` or `set -x` would write them into a task log that users read.
 */
const BASICS = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'TZ', 'TMPDIR'])

const DEFAULT_PASSTHROUGH = passthroughEntries(DEFAULT_STEP_ENV_PASSTHROUGH)

export interface StepEnvOptions {
  /** Entries of STEP_ENV_PASSTHROUGH: names, or NAME* for a prefix (default: the setting's default). */
  passthrough?: readonly string[]
  /** Names that never pass whatever `passthrough` says (beside the secret settings): the hosts' password variables. */
  withhold?: readonly string[]
}

export function stepEnvironment(source: NodeJS.ProcessEnv, options: StepEnvOptions = {}): Record<string, string> {
  return stepEnvFilter(options)(source)
}

/** stepEnvironment with its options worked out once, for a caller that takes an environment at every command. */
export function stepEnvFilter(options: StepEnvOptions = {}): (source: NodeJS.ProcessEnv) => Record<string, string> {
  const passthrough = options.passthrough ?? DEFAULT_PASSTHROUGH
  const names = new Set(passthrough.filter((entry) => !entry.endsWith('*')))
  const prefixes = passthrough.filter((entry) => entry.endsWith('*')).map((entry) => entry.slice(0, -1))
  const withheld = new Set([...secretSettings(), ...(options.withhold ?? [])])
  const allowed = (name: string) => BASICS.has(name) || name.startsWith('LC_') || names.has(name) || prefixes.some((p) => name.startsWith(p))
  return (source) => {
    const env: Record<string, string> = {}
    for (const name in source) {
      const value = source[name]
      if (value !== undefined && allowed(name) && !withheld.has(name)) env[name] = value
    }
    return env
  }
}
