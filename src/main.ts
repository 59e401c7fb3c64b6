import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { resolveSecretKey } from './auth/secret.js'
import { parseTtl, signToken, TokenError, tokenIdentity } from './auth/token.js'
import { ConfigError, loadConfig, loadDotEnv } from './config.js'
import { MigrationError } from './db/migrate.js'
import { ListenError } from './listen-check.js'
import { HostsFileError } from './remote/hosts.js'
import { ScheduleFileError } from './schedules/schedule-file.js'
import { loadWorkflows, WorkflowLoadError } from './workflows/loader.js'
import { messageOf } from './errors.js'

// The server and the step implementations are imported by the command that needs them, when it runs: `token`
// must not pay for loading fastify, swagger, ssh2 and better-sqlite3. The modules above are light.

const usage = `usage: node dist/main.js [command]
  serve                                   start the HTTP server (default)
  token --user <name> [--admin] [--ttl 24h] [--link]
                                          print a bearer token signed with SECRET_KEY (--link: as a
                                          link that signs the web page in, http://HOST:PORT/#token=…);
                                          its id (jti) goes to stderr
  token --revoke <jti or token>           withdraw a token before it expires (refused from the next request)
  workflows validate                      check every WORKFLOWS_DIR/*.json and exit
  backup <file>                           copy the database to a new file <file>, also while the
                                          service runs (a consistent, checked copy)`

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`)
  process.exit(code)
}

function config() {
  loadDotEnv()
  return loadConfig()
}

async function serve(): Promise<void> {
  const { handleSignals, startServer } = await import('./server.js')
  handleSignals(await startServer())
}

async function token(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args, options: { user: { type: 'string' }, admin: { type: 'boolean', default: false }, ttl: { type: 'string', default: '24h' },
      link: { type: 'boolean', default: false }, revoke: { type: 'string' } },
  })
  if (values.revoke !== undefined) return revoke(values.revoke)
  if (!values.user) fail(`token: --user (or --revoke) is required\n${usage}`, 2)
  const cfg = config()
  const key = resolveSecretKey(cfg, (message, file) => process.stderr.write(`${message}: ${file}\n`))
  const signed = signToken(key, { userId: values.user, role: values.admin ? 'admin' : 'user' }, parseTtl(values.ttl))
  const { jti } = tokenIdentity(signed)
  process.stderr.write(`token id ${jti} (npm run token -- --revoke ${jti} withdraws it)\n`)
  process.stdout.write(`${values.link ? signInLink(cfg.HOST, cfg.PORT, signed) : signed}\n`)
}

/** Records the token's id in the database the server reads (only this command opens it: issuing a token does not). */
async function revoke(tokenOrId: string): Promise<void> {
  const { jti, expiresAt } = tokenIdentity(tokenOrId)
  const { openDatabase } = await import('./db/connect.js')
  const { revokeToken } = await import('./auth/revocations.js')
  const { db } = openDatabase(config().databaseFile)
  try {
    await revokeToken(db, jti, expiresAt)
  } finally {
    await db.destroy()
  }
  process.stdout.write(`revoked token ${jti}\n`)
}

/** The page's address with the token in the fragment, which browsers never send to a server nor to a proxy. */
function signInLink(host: string, port: number, signed: string): string {
  // A server listening on every address is reached on this machine as localhost.
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  return `http://${name}:${port}/#token=${signed}`
}

async function validateWorkflows(): Promise<void> {
  const cfg = config()
  const { implementedStepTypes } = await import('./steps/registry.js')
  const implemented: string[] = implementedStepTypes()
  for (const { definition, file } of loadWorkflows(cfg.WORKFLOWS_DIR)) {
    const missing = [...new Set(definition.steps.map((s) => s.type))].filter((t) => !implemented.includes(t))
    process.stdout.write(`ok ${file}: ${definition.name} ${definition.version}, ${definition.steps.length} steps`
      + `${missing.length > 0 ? ` (not runnable yet: ${missing.join(', ')})` : ''}\n`)
  }
}

async function backup(args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} })
  if (positionals.length !== 1) fail(`backup: name one file to write\n${usage}`, 2)
  const { BackupError, backupDatabase } = await import('./db/backup.js')
  const source = config().databaseFile
  const target = resolve(positionals[0]!)
  try {
    const { bytes } = backupDatabase(source, target)
    process.stdout.write(`backed up ${source} to ${target} (${bytes} bytes)\n`)
  } catch (error) {
    if (error instanceof BackupError) fail(`backup: ${error.message}`, 1)
    throw error
  }
}

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv
  try {
    if (command === 'serve') await serve()
    else if (command === 'token') await token(rest)
    else if (command === 'workflows' && rest[0] === 'validate') await validateWorkflows()
    else if (command === 'backup') await backup(rest)
    else if (command === 'help' || command === '--help') process.stdout.write(`${usage}\n`)
    else fail(`unknown command "${argv.join(' ')}"\n${usage}`, 2)
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TokenError) fail(error.message, 2)
    if (error instanceof WorkflowLoadError || error instanceof MigrationError || error instanceof ListenError
      || error instanceof HostsFileError || error instanceof ScheduleFileError) fail(error.message, 1)
    const code = (error as NodeJS.ErrnoException).code ?? ''
    if (code.startsWith('ERR_PARSE_ARGS')) fail(`${messageOf(error)}\n${usage}`, 2)
    throw error
  }
}

await main(process.argv.slice(2))
