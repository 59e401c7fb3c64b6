import type { Duplex } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import type { Client } from 'ssh2'
import type { Logger } from 'pino'
import { TransportError } from '../transport.js'
import { chainLabel, type NamedHost } from '../hosts.js'
import { AbortError } from '../abort-error.js'
import { ChannelBudget } from './channel-budget.js'
import { hopLabel, openSocket, sshHandshake, type HopOptions } from './hop-connect.js'
import { channelError, viaJumpError } from './ssh-errors.js'
import { messageOf } from '../../errors.js'
import { probes } from '../../probes.js'

export interface ConnectionOptions extends HopOptions {
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'> | undefined
  /** First reconnect delay after a failed attempt; doubles per failure up to `backoffMaxMs`. */
  backoffBaseMs?: number
  backoffMaxMs?: number
}

export interface HostHealth {
  consecutiveFailures: number
  lastError: TransportError | null
  connected: boolean
}

/**
 * The one pooled SSH connection to a host (through its jump connection when it has `via`). Lazy: it connects
 * on first use and closes after `idle_close_seconds` without channels or hops behind it. Every session channel
 * takes a slot of the budget. After a failed attempt the next one waits a doubling delay, and never more than
 * `max_connects_per_minute` attempts start in a minute, so a login node is not hammered.
 */
export class HostConnection {
  readonly budget: ChannelBudget
  readonly label: string
  private client: Client | null = null
  private connecting: Promise<Client> | null = null
  private primed = false
  private users = 0
  private idleTimer: NodeJS.Timeout | null = null
  private failures = 0
  private lastError: TransportError | null = null
  private nextAttemptAt = 0
  private attempts: number[] = []
  private readonly lifetime = new AbortController()

  constructor(
    readonly host: NamedHost,
    chain: readonly NamedHost[],
    private readonly parent: HostConnection | null,
    private readonly options: ConnectionOptions,
  ) {
    this.budget = new ChannelBudget(host.max_sessions)
    this.label = chainLabel(chain)
  }

  health(): HostHealth {
    return { consecutiveFailures: this.failures, lastError: this.lastError, connected: this.client !== null }
  }

  /** Runs `fn` with a connected client and one channel slot, released when `fn` settles. */
  async withChannel<T>(signal: AbortSignal | undefined, fn: (client: Client) => Promise<T>, urgent = false): Promise<T> {
    const release = await this.budget.acquire(signal, urgent)
    this.hold()
    try {
      return await fn(await this.connect(signal))
    } finally {
      release()
      this.unhold()
    }
  }

  /** A hop behind this one keeps the connection open while it is itself open. */
  async lease(signal?: AbortSignal): Promise<{ client: Client; release: () => void }> {
    this.hold()
    try {
      const client = await this.connect(signal)
      if (!this.primed) {
        // sshd turns on TCP_NODELAY only when a session starts; without one, forwarded traffic stalls
        // on delayed ACKs (~40 ms per round trip). One short exec fixes it for the connection's life.
        this.primed = true
        await new Promise<void>((resolve) => client.exec('true', (err, ch) => err ? resolve() : ch.on('close', () => resolve()).resume()))
      }
      let released = false
      return { client, release: () => { if (!released) { released = true; this.unhold() } } }
    } catch (error) {
      this.unhold()
      throw error
    }
  }

  connect(signal?: AbortSignal): Promise<Client> {
    if (this.client) return Promise.resolve(this.client)
    this.connecting ??= this.attempt().finally(() => { this.connecting = null })
    return abortable(this.connecting, signal)
  }

  close(): void {
    this.lifetime.abort('closed')
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.client?.end()
    this.client = null
  }

  private async attempt(): Promise<Client> {
    await this.waitForTurn()
    if (this.lifetime.signal.aborted) throw new TransportError('connection_lost', `connection pool closed [${this.label}]`, this.label)
    this.attempts.push(Date.now())
    try {
      const { client, tunnel, release } = await this.open()
      this.failures = 0
      this.lastError = null
      this.client = client
      this.primed = false
      this.watch(client, tunnel, release)
      this.options.logger?.info({ host: this.host.name, chain: this.label }, 'ssh connection ready')
      if (this.users === 0) this.scheduleIdleClose()
      return client
    } catch (error) {
      const failure = error as TransportError
      if (failure.retryable) this.failures++
      this.lastError = failure
      const base = this.options.backoffBaseMs ?? 500
      this.nextAttemptAt = Date.now() + Math.min(this.options.backoffMaxMs ?? 30_000, base * 2 ** Math.max(0, this.failures - 1))
      this.options.logger?.warn({ host: this.host.name, chain: this.label, kind: failure.kind, err: failure.message }, 'ssh connect failed')
      probes.sshConnectFailed.publish({ host: this.host.name, kind: failure.kind })
      throw failure
    }
  }

  private async open(): Promise<Opened> {
    if (!this.parent) {
      const client = await sshHandshake(this.host, await openSocket(this.host, this.label), this.label, this.options)
      return { client, tunnel: null, release: () => {} }
    }
    let lease: { client: Client; release: () => void }
    try {
      lease = await this.parent.lease(this.lifetime.signal)
    } catch (error) {
      throw error instanceof TransportError ? viaJumpError(error, this.label) : error
    }
    try {
      const tunnel = await new Promise<Duplex>((resolve, reject) => {
        lease.client.forwardOut('127.0.0.1', 0, this.host.hostname, this.host.port, (err, stream) => err ? reject(err) : resolve(stream))
      })
      const client = await sshHandshake(this.host, tunnel, this.label, this.options)
      return { client, tunnel, release: lease.release }
    } catch (error) {
      lease.release()
      if (error instanceof TransportError) throw error
      const lost = channelError(error, hopLabel(this.parent.host), this.label)
      if (lost.kind === 'connection_lost') throw viaJumpError(lost, this.label)
      throw new TransportError('target_unreachable',
        `${hopLabel(this.host)} is unreachable from ${this.parent.host.name} [${this.label}]: ${messageOf(error)}`, this.label)
    }
  }

  /**
   * The first sign that a connection is over — its socket or tunnel ending, the client ending, closing or
   * failing — takes it out of the pool, so the next command connects afresh. A tunnel whose target went away
   * only ends (the jump waits for our half of the close), and ssh2 then neither closes the client nor its
   * channels: closing the tunnel here makes the jump confirm, which closes the client and fails every channel
   * still open on it (commands in flight end as connection_lost). A keepalive failure may be the path through
   * the jump that stalled, so it closes the jump's connection too.
   */
  private watch(client: Client, tunnel: Duplex | null, release: () => void): void {
    let over = false
    const end = (how: string, error?: Error & { level?: string }) => {
      if (over) return
      over = true
      if (this.client === client) this.client = null
      release()
      if (tunnel) tunnel.destroy()
      else client.destroy()
      if (error?.level === 'client-timeout') this.parent?.drop('keepalive failed behind it')
      this.options.logger?.info({ host: this.host.name, chain: this.label, how, err: error?.message }, 'ssh connection closed')
    }
    client.on('end', () => end('ended')).on('close', () => end('closed')).on('error', (error) => end('failed', error))
    tunnel?.on('end', () => end('tunnel ended')).on('close', () => end('tunnel closed'))
      .on('error', (error: Error) => end('tunnel failed', error))
  }

  /** Closes the current connection at once (its channels fail); the next use connects again. */
  private drop(why: string): void {
    const client = this.client
    if (!client) return
    this.client = null
    this.options.logger?.warn({ host: this.host.name, chain: this.label }, `ssh connection dropped: ${why}`)
    client.destroy()
  }

  private async waitForTurn(): Promise<void> {
    const now = Date.now()
    this.attempts = this.attempts.filter((t) => now - t < 60_000)
    let wait = Math.max(0, this.nextAttemptAt - now)
    if (this.attempts.length >= this.host.max_connects_per_minute) wait = Math.max(wait, this.attempts[0]! + 60_000 - now)
    if (wait <= 0) return
    this.options.logger?.info({ host: this.host.name, wait_ms: wait }, 'ssh reconnect delayed')
    await delay(wait, undefined, { signal: this.lifetime.signal }).catch(() => {})
  }

  private hold(): void {
    this.users++
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
  }

  private unhold(): void {
    this.users--
    if (this.users === 0) this.scheduleIdleClose()
  }

  private scheduleIdleClose(): void {
    if (this.host.idle_close_seconds <= 0 || !this.client) return
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null
      if (this.users === 0 && this.client) {
        this.options.logger?.debug({ host: this.host.name }, 'ssh connection idle, closing')
        this.client.end()
        this.client = null
      }
    }, this.host.idle_close_seconds * 1000)
    this.idleTimer.unref()
  }
}

interface Opened {
  client: Client
  /** The forwarded channel through the jump the client runs over (null for a direct TCP connection). */
  tunnel: Duplex | null
  /** Lets the jump's connection go idle again. */
  release: () => void
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(new AbortError(signal.reason))
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new AbortError(signal.reason))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
