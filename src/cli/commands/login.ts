import { readFileSync } from 'node:fs'
import { ApiClient } from '../api-client.js'
import { noMorePositionals, parseCommand } from '../args.js'
import { normalizeUrl, saveLogin } from '../config-file.js'
import type { Command } from '../context.js'
import { ExitCode, UsageError } from '../exit-codes.js'
import { dateTime } from '../output.js'

const usage = `topup login --url <address> --token <token|->
  checks the token against the server (--url defaults to TOPUP_URL, the saved one, http://localhost:5000),
  then saves both in $XDG_CONFIG_HOME/topup/config.json
  (~/.config/topup/config.json), readable by you alone; --token - reads the token from stdin`

export const login: Command = {
  usage,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(args, { url: { type: 'string' }, token: { type: 'string' } }, usage)
    noMorePositionals(positionals, 0, usage)
    const url = normalizeUrl(values.url ?? ctx.settings.url)
    if (!values.token) throw new UsageError('--token is required', usage)
    const token = (values.token === '-' ? readFileSync(0, 'utf8') : values.token).trim()
    if (!token) throw new UsageError('the token is empty', usage)
    // Any route that needs the token: a refused token answers 401 here, not at the first real command.
    await new ApiClient(url, token).request('GET', '/api/tasks?limit=1')
    const file = saveLogin(ctx.env, { url, token })
    const claims = claimsOf(token)
    if (ctx.out.json) ctx.out.data({ url, user: claims.user, role: claims.role, expires_at: claims.expiresAt, file })
    else {
      ctx.out.line(ctx.t('login.saved', {
        url, file, user: claims.user ?? '?', role: claims.role === 'admin' ? ' (admin)' : '',
        expiry: claims.expiresAt ? ctx.t('login.expires', { when: dateTime(claims.expiresAt) }) : '',
      }))
    }
    for (const [name, what] of [['TOPUP_URL', 'url'], ['TOPUP_TOKEN', 'token']] as const) {
      if (ctx.env[name]) ctx.out.note(ctx.t('login.envWins', { name, what }))
    }
    return ExitCode.ok
  },
}

/** What the token says about itself (read, not verified: the server has just accepted it). */
function claimsOf(token: string): { user?: string; role?: string; expiresAt?: string } {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>
    const user = payload.sub ?? payload.user_id
    return {
      ...(typeof user === 'string' ? { user } : {}),
      ...(typeof payload.role === 'string' ? { role: payload.role } : {}),
      ...(typeof payload.exp === 'number' ? { expiresAt: new Date(payload.exp * 1000).toISOString() } : {}),
    }
  } catch {
    return {}
  }
}
