import { ApiClient } from './api-client.js'
import type { Settings } from './config-file.js'
import { CliError } from './exit-codes.js'
import type { Translate } from './messages.js'
import type { Output } from './output.js'

/** What every command gets: the environment, where to write, the language, and the way to the server. */
export interface Context {
  env: NodeJS.ProcessEnv
  out: Output
  t: Translate
  settings: Settings
  /** A client for the saved (or TOPUP_URL/TOPUP_TOKEN) login; an error when there is no token. */
  client(): ApiClient
}

export function createContext(env: NodeJS.ProcessEnv, out: Output, settings: Settings): Context {
  return {
    env, out, t: out.t, settings,
    client() {
      if (!settings.token) throw new CliError(out.t('error.notSignedIn'))
      return new ApiClient(settings.url, settings.token)
    },
  }
}

/** One command: its usage text and what it does with its arguments; resolves to the exit code. */
export interface Command {
  usage: string
  run(ctx: Context, args: string[]): Promise<number>
}
