import type { ClientChannel } from 'ssh2'
import { setTimeout as delay } from 'node:timers/promises'
import {
  TransportError, type FileStat, type GroupSignal, type GroupState, type RunRequest, type RunResult, type Transport,
} from '../transport.js'
import { AbortError, abortedAfterKill } from '../abort-error.js'
import { stopProcessGroup } from '../stop-group.js'
import { LineSplitter } from '../line-splitter.js'
import type { HostConnection } from './host-connection.js'
import { hopLabel } from './hop-connect.js'
import { execCollect, openExec } from './exec-channel.js'
import { fetchOverSftp } from './sftp-fetch.js'
import { commandWithPgid, killGroupCommand } from './remote-scripts.js'
import { Frame } from '../framing.js'
import { probes } from '../../probes.js'

export interface SshTransportOptions {
  /** After cancel: how long the command gets to end on the channel's TERM, and then on the group's TERM. */
  killGraceMs?: number
  /** After the exit status: how long processes left behind may hold stdout open before the channel is closed. */
  drainMs?: number
  /** How long one signal to a recorded process group may wait for the host (connecting included); default 20 s. */
  killTimeoutMs?: number
  maxLineLength?: number
}

export interface StartInfo { pgid: number; startTime: string }

/**
 * Commands on a host over its pooled connection. Each run is one exec channel whose first line of its own tells
 * the process group id (a framed line, consumed here, handed to onStart; what the login shell printed before it
 * stays output). Output is read as it arrives: ssh2 widens the channel window only as data is consumed, so a
 * fast producer is throttled by the network, not buffered.
 */
export class SshTransport implements Transport {
  readonly host: string
  private readonly killGraceMs: number
  private readonly drainMs: number

  constructor(private readonly connection: HostConnection, private readonly options: SshTransportOptions = {}) {
    this.host = connection.host.name
    this.killGraceMs = options.killGraceMs ?? 2000
    this.drainMs = options.drainMs ?? 1000
  }

  async run(request: RunRequest): Promise<RunResult> {
    if (request.signal.aborted) throw new AbortError(request.signal.reason)
    return this.connection.withChannel(request.signal, async (client) => {
      let exit: RunResult | null = null
      const frame = new Frame(`the process group line of a command on ${this.where}`)
      const asked = performance.now()
      const launch = commandWithPgid(request.command, frame)
      const channel = await this.openWithRetry(() => openExec(client, launch.command, this.where,
        this.connection.label, (ch) => {
          ch.on('exit', (code: number | null, signalName?: string) => {
            exit = { exitCode: code ?? null, signal: signalName ? `SIG${signalName.replace(/^SIG/, '')}` : null }
            // processes left in the background may keep stdout open: give them drainMs, then stop listening
            delay(this.drainMs, undefined, { ref: false }).then(() => ch.close())
          })
          // not end(): ssh2 sends no signal (cancel's TERM) on a channel whose input has ended
          ch.write(launch.stdin)
        }), request.signal)
      probes.sshExecOpened.publish({ host: this.host, seconds: (performance.now() - asked) / 1000 })
      return this.follow(channel, request, frame, () => exit)
    })
  }

  /** One round trip on the pooled connection (reconnecting if it was lost), ahead of the channel queue. */
  async killProcessGroup(pgid: number, signal: GroupSignal, startTime: string | null = null): Promise<GroupState> {
    const frame = new Frame(`${signal} of process group ${pgid} on ${this.where}`)
    const command = killGroupCommand(pgid, startTime, signal, frame)
    const timeoutMs = this.options.killTimeoutMs ?? 20_000
    const bound = AbortSignal.timeout(timeoutMs)
    const result = await this.connection.withChannel(bound,
      (client) => execCollect(client, command, this.where, this.connection.label), true).catch((error: unknown) => {
      throw bound.aborted ? new Error(`${this.where} did not answer within ${timeoutMs / 1000} s`) : error
    })
    const answer = frame.valuesIn(result.stdout).join('; ')
    if (answer === 'GONE') return 'gone'
    if (answer === 'REUSED') return 'reused'
    if (answer === 'RUNNING' || answer === 'SIGNALLED') return 'running'
    throw new Error(`${frame.what}: ${answer || result.stderr.trim() || 'no answer'}`)
  }

  fetchFile(remotePath: string, localPath: string, signal: AbortSignal): Promise<FileStat> {
    return this.connection.withChannel(signal, (client) =>
      fetchOverSftp(client, remotePath, localPath, signal, this.where, this.connection.label))
  }

  private get where(): string {
    return hopLabel(this.connection.host)
  }

  /**
   * sshd frees a session slot only once it has reaped the session's process, a moment after the channel
   * closed; a channel opened in that moment is refused although the budget had room. Such a refusal is retried.
   */
  private async openWithRetry(open: () => Promise<ClientChannel>, signal: AbortSignal): Promise<ClientChannel> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await open()
      } catch (error) {
        if (!(error instanceof TransportError) || error.kind !== 'channel_open_failed' || attempt >= 6 || signal.aborted) throw error
        await delay(25 * 2 ** attempt)
      }
    }
  }

  private follow(channel: ClientChannel, request: RunRequest, frame: Frame, exitOf: () => RunResult | null): Promise<RunResult> {
    const { signal } = request
    let started: StartInfo | null = null
    const stdout = new LineSplitter((line, bytes) => {
      const match = started === null ? frame.lineOf(line, 'PGID') : null
      const group = match ? /^(\d+) (\d+)$/.exec(match.rest) : null
      if (!match || !group) return request.onLine?.('stdout', line, bytes, started === null)
      // a login banner without a final newline may precede the line (it is not the command's output)
      if (match.before !== '') request.onLine?.('stdout', match.before, 0, true)
      started = { pgid: Number(group[1]), startTime: group[2]! }
      request.onStart?.(started)
    }, this.lineOptions())
    const stderr = new LineSplitter((line, bytes) => request.onLine?.('stderr', line, bytes), this.lineOptions())
    channel.on('data', (chunk: Buffer) => stdout.push(chunk))
    channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()))

    return new Promise<RunResult>((resolve, reject) => {
      const onAbort = () => {
        void this.cancel(channel, closed, () => started).then((error) => {
          const pgid = started?.pgid
          reject(pgid === undefined ? new AbortError(signal.reason) : abortedAfterKill(signal.reason, pgid, error))
        })
      }
      signal.addEventListener('abort', onAbort, { once: true })
      void closed.then(() => {
        stdout.end()
        stderr.end()
        if (signal.aborted) return
        signal.removeEventListener('abort', onAbort)
        const exit = exitOf()
        if (exit) return resolve(exit)
        reject(new TransportError('connection_lost',
          `connection to ${this.where} lost while the command ran [${this.connection.label}]`, this.connection.label))
      })
    })
  }

  /**
   * TERM through the channel (sshd signals the session's process group); if the channel does not close in
   * the grace period, or is gone, the recorded group is stopped from another channel (stopProcessGroup). That
   * runs even after a clean close, since a child that ignored TERM or left the pipes may still live. Resolves
   * with the error of a kill that failed, null otherwise.
   */
  private async cancel(channel: ClientChannel, closed: Promise<void>, started: () => StartInfo | null): Promise<unknown> {
    try {
      channel.signal('TERM')
    } catch { /* the connection is gone; the group kill below reconnects */ }
    await Promise.race([closed, delay(this.killGraceMs, undefined, { ref: false })])
    const info = started()
    let failure: unknown = null
    if (info) failure = await stopProcessGroup(this, info, { graceMs: this.killGraceMs }).then(() => null, (error: unknown) => error)
    channel.close()
    return failure
  }

  private lineOptions(): { maxLineLength?: number } {
    return this.options.maxLineLength === undefined ? {} : { maxLineLength: this.options.maxLineLength }
  }
}
