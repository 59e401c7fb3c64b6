import { closeSync, ftruncateSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import pino, { type Logger } from 'pino'
import { secretSettings, type Config } from './config.js'

/**
 * Paths pino blanks out wherever they appear. Request serializers below already drop headers and query
 * strings; these catch whatever else a caller passes in (an error with a token, a config object, an
 * environment). Every setting marked secret in EnvSchema is among them, and `secretNames` (the variables the
 * hosts' passwords are read from).
 */
export function redactPaths(secretNames: readonly string[] = []): string[] {
  const keys = ['password', 'passphrase', 'token', 'secret', 'authorization', ...secretSettings(), ...secretNames]
  return ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization',
    ...new Set(keys.flatMap((key) => [key, `*.${key}`]))]
}

/**
 * An append-only log file that renames itself to `<file>.1` when it grows past `maxBytes` (0: never) and
 * can be reopened (SIGHUP, after an external logrotate moved it). Writes are synchronous: a log line is
 * on disk before the request that caused it answers.
 */
export class RotatingFile {
  private fd: number
  private size: number

  constructor(readonly file: string, readonly maxBytes: number) {
    mkdirSync(dirname(file), { recursive: true })
    this.fd = openSync(file, 'a')
    this.size = statSync(file).size
  }

  /** Lines that could not be written since the last one that could. */
  private dropped = 0

  /**
   * Never throws: a line that cannot be written (the disk is full…) is dropped here — it still goes to stdout —
   * since a throwing log call fails whatever logged it, the error handler and the task runner included. The
   * first line written again says how many were dropped.
   */
  write(line: string): boolean {
    try {
      if (this.dropped > 0) {
        this.append(`${JSON.stringify({ level: 40, time: new Date().toISOString(), service: 'topup',
          msg: `${this.dropped} log line(s) could not be written to this file (they went to stdout only)` })}\n`)
        this.dropped = 0
      }
      this.append(line)
    } catch {
      this.dropped++
      // a line written in part is cut off again, so the file stays one JSON object per line
      try { ftruncateSync(this.fd, this.size) } catch { /* the next line starts after the fragment */ }
    }
    return true
  }

  private append(line: string): void {
    const buffer = Buffer.from(line)
    if (this.maxBytes > 0 && this.size > 0 && this.size + buffer.length > this.maxBytes) this.rotate()
    for (let written = 0; written < buffer.length;) written += writeSync(this.fd, buffer, written)
    this.size += buffer.length
  }

  reopen(): void {
    closeSync(this.fd)
    this.fd = openSync(this.file, 'a')
    this.size = statSync(this.file).size
  }

  close(): void {
    closeSync(this.fd)
  }

  private rotate(): void {
    closeSync(this.fd)
    renameSync(this.file, `${this.file}.1`)
    this.fd = openSync(this.file, 'a')
    this.size = 0
  }
}

export interface ServiceLogger {
  logger: Logger
  /** Reopens LOG_FILE (wire to SIGHUP for logrotate's "move then signal"). */
  reopen(): void
  close(): void
}

export const loggerOptions = (level: string, secretNames: readonly string[] = []): pino.LoggerOptions => ({
  level,
  redact: { paths: redactPaths(secretNames), censor: '[redacted]' },
  base: { service: 'topup' },
  timestamp: pino.stdTimeFunctions.isoTime,
  serializers: {
    err: pino.stdSerializers.err,
    // Fastify hands its request object to `req`: keep what identifies the call, never headers or bodies.
    req: (req: { method?: string; url?: string; ip?: string }) =>
      ({ method: req.method, url: loggableUrl(req.url ?? ''), remoteAddress: req.ip }),
    res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
  },
})

/** JSON lines to stdout and to LOG_FILE; `secretNames` are redacted beside the secret settings. */
export function createLogger(config: { LOG_LEVEL: string } & Pick<Config, 'LOG_FILE' | 'LOG_MAX_BYTES'>,
  stdout: { write(line: string): unknown } = process.stdout, secretNames: readonly string[] = []): ServiceLogger {
  const file = new RotatingFile(config.LOG_FILE, config.LOG_MAX_BYTES)
  const streams = pino.multistream([
    { level: 'trace', stream: stdout },
    { level: 'trace', stream: file },
  ])
  const logger = pino(loggerOptions(config.LOG_LEVEL, secretNames), streams)
  return { logger, reopen: () => file.reopen(), close: () => file.close() }
}

/**
 * Blanks `token=` query values (WebSocket clients may pass their token that way) and the `sig=` of artifact links
 * before a URL is logged.
 */
export function loggableUrl(url: string): string {
  return url.replace(/([?&](?:(?:access_)?token|sig)=)[^&#]*/gi, '$1[redacted]')
}
