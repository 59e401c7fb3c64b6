import { existsSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { Type, type Static, type TSchema } from 'typebox'
import { Value } from 'typebox/value'

const Int = (min: number, max: number, def: number, description: string) =>
  Type.Integer({ minimum: min, maximum: max, default: def, description })
const Num = (min: number, max: number, def: number, description: string) =>
  Type.Number({ minimum: min, maximum: max, default: def, description })
const Str = (def: string, description: string) => Type.String({ minLength: 1, default: def, description })
const OptStr = (description: string) => Type.Optional(Type.String({ minLength: 1, description }))
/**
 * A setting that holds a secret (a key, a password, a URL that may carry one): the log blanks it wherever it
 * appears and no step's command gets it, whatever STEP_ENV_PASSTHROUGH says. Marking is all a new one needs.
 */
const OptSecret = (description: string) => Type.Optional(Type.String({ minLength: 1, description, secret: true }))

/** What STEP_ENV_PASSTHROUGH is when unset: the demo's pace (README, the demo), which its simulated cluster reads. */
export const DEFAULT_STEP_ENV_PASSTHROUGH = 'DEMO_STEP_SECONDS'

/** Every environment variable the service reads. The README's table is written from these descriptions. */
export const EnvSchema = Type.Object({
  HOST: Str('0.0.0.0', 'address to listen on'),
  PORT: Int(1, 65535, 5000, 'TCP port to listen on'),
  HTTP_HEADERS_TIMEOUT_SECONDS: Num(0.1, 600, 15,
    'a client must send a request\'s headers within this many seconds of starting it, or its connection is closed (slow clients cannot hold connections)'),
  HTTP_REQUEST_TIMEOUT_SECONDS: Num(0.1, 3600, 60,
    'the whole request, headers and body, must arrive within this many seconds (at least HTTP_HEADERS_TIMEOUT_SECONDS); the answer may take longer'),
  HTTP_KEEP_ALIVE_SECONDS: Num(0.1, 3600, 72,
    'an idle keep-alive connection is closed after this many seconds (longer than a reverse proxy\'s own idle timeout, often 60 s)'),
  DATA_DIR: Str('data', 'folder for the database, the generated secret, artifacts and local work folders'),
  DATABASE_URL: OptSecret('sqlite:data/topup.db (relative to the working directory) or sqlite:///abs/path'),
  SECRET_KEY: OptSecret('HS256 key for bearer tokens; generated into DATA_DIR/secret.key when unset'),
  SECRET_KEY_PREVIOUS: OptSecret('the key before a change of SECRET_KEY: tokens it signed are still accepted until they expire (then unset it)'),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    { default: 'info', description: 'fatal | error | warn | info | debug | trace | silent' }),
  LOG_FILE: Str('logs/topup_api.log', 'JSON log file (also written to stdout); reopened on SIGHUP'),
  LOG_MAX_BYTES: Int(0, 2 ** 40, 50 * 1024 * 1024, 'rotate LOG_FILE when it grows past this size (0: never)'),
  WORKFLOWS_DIR: Str('workflows', 'folder of workflow definition files (*.json)'),
  REMOTE_RUNS_DIR: Str('~/.topup/runs', 'folder on each remote host for detached commands (output and exit code files); ~ is the login folder'),
  HOSTS_FILE: Str('hosts.json', 'SSH hosts and jump chains'),
  SCHEDULES_FILE: Str('schedules.json', 'daily schedules (cron, time zone, workflow, parameters); a missing file means none'),
  KNOWN_HOSTS_FILE: OptStr('OpenSSH known_hosts file checked for every hop'),
  KNOWN_HOSTS_POLICY: Type.Union([Type.Literal('strict'), Type.Literal('accept-new')],
    { default: 'accept-new', description: 'strict: a host key must be listed; accept-new: pin the first key seen' }),
  MAX_PARALLEL_TASKS: Int(1, 1000, 3, 'tasks running at once; the rest wait queued'),
  DEFAULT_TIMEOUT_MINUTES: Int(1, 7 * 24 * 60, 30, 'step timeout when a step sets none'),
  MAX_RETRY_ATTEMPTS: Int(0, 100, 3, 'retries of a failed step when a step sets none'),
  RETRY_DELAY_SECONDS: Int(0, 24 * 3600, 60, 'first retry delay when a step sets none; doubles per attempt'),
  RETRY_MAX_DELAY_SECONDS: Int(0, 24 * 3600, 900, 'cap on the growing retry delay'),
  SHUTDOWN_GRACE_SECONDS: Int(0, 3600, 30, 'on SIGTERM, how long running steps get to reach a safe point'),
  STORAGE_PROBE_SECONDS: Num(0.1, 3600, 10,
    'how often a tiny database write checks that writes work; GET /api/health answers 503 while they fail'),
  STORAGE_RETRY_MAX_SECONDS: Num(0.1, 3600, 60,
    'a task whose database write failed (disk full…): cap on the doubling delay between tries to record its pause'),
  JOB_POLL_MIN_SECONDS: Num(0.1, 3600, 15,
    'cluster jobs: first status poll after a submission; a host may set a longer job_poll_min_seconds'),
  JOB_POLL_MAX_SECONDS: Num(0.1, 3600, 60, 'cluster jobs: the steady status poll interval the first one doubles up to'),
  JOB_LAG_SECONDS: Num(0, 86400, 120,
    'cluster jobs: how long after its submission a job unknown to queue and history is not yet lost'),
  JOB_POLL_FAILURES: Int(1, 1000, 3, 'cluster jobs: failed status polls in a row that pause the tasks waiting on that host'),
  DAYS_CACHE_SECONDS: Num(0, 86400, 60,
    'GET /api/days: how long one listing of a round\'s folders on the site is reused; ?refresh=true lists again at once (0: every request lists)'),
  SCHEDULE_CATCH_UP_MAX: Int(1, 366, 7, 'after downtime, a schedule with catch_up "all" makes at most this many missed firings (the newest)'),
  WS_HEARTBEAT_SECONDS: Int(1, 3600, 30, 'WebSocket ping interval; a client that misses a pong is dropped'),
  STEP_ENV_PASSTHROUGH: Type.String({ default: DEFAULT_STEP_ENV_PASSTHROUGH, description:
    'variables of the server\'s environment that local commands also get, beside PATH, HOME, USER, LOGNAME, LANG, LC_*, TZ and TMPDIR; '
    + 'names separated by commas or spaces, NAME* for every name that starts so; secret settings are never passed' }),
  WS_MAX_BUFFERED_BYTES: Int(64 * 1024, 1024 ** 3, 4 * 1024 * 1024,
    'WebSocket send buffer bound per client; above it the client is told to resync and closed'),
  WS_MAX_TOTAL_BUFFERED_BYTES: Int(64 * 1024, 16 * 1024 ** 3, 64 * 1024 * 1024,
    'WebSocket send memory of all clients together (a frame sent to many counts once); above it the clients furthest behind are told to resync and closed'),
  WS_MESSAGE_BURST: Int(1, 100_000, 100,
    'WebSocket messages a client may send at once; past the burst WS_MESSAGES_PER_SECOND, else error rate_limited and close 1008'),
  WS_MESSAGES_PER_SECOND: Int(1, 100_000, 20, 'WebSocket messages per second a client may send on average after its burst'),
  HISTORY_READS_MAX: Int(1, 1000, 4,
    'event and log pages read at once across the server (WebSocket replays, GET events and logs); the others wait their turn'),
  HISTORY_READS_QUEUE: Int(0, 100_000, 200,
    'GET events and logs requests that may wait for a read; beyond, 503 service_unavailable with Retry-After'),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16,
    description: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN> (at least 16 characters); with neither it nor METRICS_PORT set, /metrics is off' })),
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535,
    description: 'serve /metrics on a listener of its own at METRICS_HOST:METRICS_PORT, and not on PORT' })),
  METRICS_HOST: Str('127.0.0.1', 'address of the METRICS_PORT listener'),
  NOTIFY_FILE: Str('notify.json',
    'notification channels (WeCom group robots, signed webhooks); keys and secrets are named there by variable, never written; a missing file means none'),
  NOTIFY_BASE_URL: OptStr('the address users open the page at (e.g. https://topup.example.org), for the links in notifications; unset, links are paths'),
  NOTIFY_RETRY_SECONDS: Num(0.1, 3600, 30, 'a notification that could not be delivered is tried again after this long, the delay doubling per attempt'),
  NOTIFY_RETRY_MAX_SECONDS: Num(0.1, 86400, 3600, 'cap on the growing delay between delivery attempts of a notification'),
  NOTIFY_MAX_ATTEMPTS: Int(1, 1000, 20, 'delivery attempts of a notification before it is given up (shown as failed in GET /api/notifications/deliveries)'),
  NOTIFY_PDF_LINK_HOURS: Num(0.1, 24 * 30, 48, 'how long the PDF link in a review notification works (a signed link: anyone who has it may open that one file)'),
})
export type Env = Static<typeof EnvSchema>

/** The settings marked secret in EnvSchema (read from the schema at each call, so nothing else keeps a list). */
export function secretSettings(): string[] {
  return Object.entries(EnvSchema.properties)
    .filter(([, schema]) => (schema as { secret?: unknown }).secret === true).map(([name]) => name)
}

/** The entries of STEP_ENV_PASSTHROUGH: names, or prefixes written NAME*. */
export function passthroughEntries(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean)
}

export interface Config extends Env {
  /** The SQLite file, resolved from DATABASE_URL or DATA_DIR. */
  databaseFile: string
  /** Workflow site variables overridden by TOPUP_VAR_<NAME> environment variables (name lower-cased). */
  siteVars: Readonly<Record<string, string>>
}

export class ConfigError extends Error {}

/** Reads `.env` (if present) into process.env without overriding variables that are already set. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file)
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const converted = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw)) as Record<string, unknown>
  // Value.Convert truncates "12.5" to 12; an integer variable must be written as one.
  for (const [key, schema] of Object.entries(EnvSchema.properties as Record<string, { type?: string }>)) {
    const value = env[key]
    if (schema.type === 'integer' && value && !/^[+-]?\d+$/.test(value.trim())) converted[key] = value
  }
  const error = Value.Errors(EnvSchema, converted)[0]
  if (error) {
    const name = error.instancePath.slice(1)
    const schema = (EnvSchema.properties as Record<string, TSchema>)[name]
    const expected = (schema as { description?: string } | undefined)?.description ?? error.message
    throw new ConfigError(`${name}=${String(env[name])} is invalid: ${error.message} (${describe(schema)}${expected})`)
  }
  const parsed = converted as Env
  if (parsed.HTTP_HEADERS_TIMEOUT_SECONDS > parsed.HTTP_REQUEST_TIMEOUT_SECONDS) {
    throw new ConfigError(`HTTP_HEADERS_TIMEOUT_SECONDS=${parsed.HTTP_HEADERS_TIMEOUT_SECONDS} is invalid: it must not exceed `
      + `HTTP_REQUEST_TIMEOUT_SECONDS=${parsed.HTTP_REQUEST_TIMEOUT_SECONDS} (the headers are part of the request)`)
  }
  checkPassthrough(parsed.STEP_ENV_PASSTHROUGH)
  const siteVars: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('TOPUP_VAR_') && value !== undefined) siteVars[key.slice(10).toLowerCase()] = value
  }
  return Object.freeze({
    ...parsed,
    databaseFile: databaseFile(parsed.DATABASE_URL, parsed.DATA_DIR),
    siteVars: Object.freeze(siteVars),
  })
}

function checkPassthrough(value: string): void {
  for (const entry of passthroughEntries(value)) {
    const bad = !/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(entry) ? 'expected variable names, or NAME* for a prefix'
      : secretSettings().some((name) => entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry)
        ? `${entry} would hand a secret setting to every step` : null
    if (bad) throw new ConfigError(`STEP_ENV_PASSTHROUGH=${value} is invalid: ${bad}`)
  }
}

function describe(schema: TSchema | undefined): string {
  const s = schema as { type?: string; minimum?: number; maximum?: number } | undefined
  if (s?.type === 'integer') return `an integer from ${s.minimum} to ${s.maximum}; `
  return ''
}

function databaseFile(url: string | undefined, dataDir: string): string {
  if (url === undefined) return resolve(dataDir, 'topup.db')
  const match = /^sqlite:(?:\/\/)?(.+)$/.exec(url)
  if (!match?.[1]) throw new ConfigError(`DATABASE_URL=${url} is invalid: expected sqlite:data/topup.db or sqlite:///abs/path`)
  const path = match[1]
  if (path === ':memory:') return path
  return isAbsolute(path) ? path : resolve(path)
}
