import { spawn } from 'node:child_process'
import { copyFile, stat } from 'node:fs/promises'
import { once } from 'node:events'
import { setTimeout as delay } from 'node:timers/promises'
import type { Readable } from 'node:stream'
import {
  TransportError, type FileStat, type GroupSignal, type GroupState, type RunRequest, type RunResult, type Transport,
} from '../transport.js'
import { AbortError, abortedAfterKill } from '../abort-error.js'
import { LineSplitter } from '../line-splitter.js'
import { isSameLeader, liveGroupMembers, processStartTime, signalProcessGroup } from './process-group.js'
import { stopProcessGroup } from '../stop-group.js'
import { messageOf } from '../../errors.js'
import { stepEnvironment, type StepEnvOptions } from './step-env.js'

export interface LocalTransportOptions extends StepEnvOptions {
  /** The server's environment, read at every run (default process.env); commands get only a part of it. */
  env?: NodeJS.ProcessEnv
  /** After TERM, how long the process group gets before KILL. */
  killGraceMs?: number
  /** After the command exits, how long to wait for processes it left behind to close its stdout/stderr. */
  drainMs?: number
  maxLineLength?: number
}

/**
 * Runs commands on this machine: `bash -c <command>` as the leader of its own process group, so that cancel
 * can kill the whole tree (children and grandchildren), not only the shell; in a clean environment (step-env.ts).
 */
export class LocalTransport implements Transport {
  readonly host = 'local'
  private readonly killGraceMs: number
  private readonly drainMs: number
  private readonly maxLineLength: number | undefined

  constructor(private readonly options: LocalTransportOptions = {}) {
    this.killGraceMs = options.killGraceMs ?? 2000
    this.drainMs = options.drainMs ?? 1000
    this.maxLineLength = options.maxLineLength
  }

  async run(request: RunRequest): Promise<RunResult> {
    const { signal } = request
    if (signal.aborted) throw new AbortError(signal.reason)
    const child = spawn('bash', ['-c', request.command], {
      env: stepEnvironment(this.options.env ?? process.env, this.options),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
    exited.catch(() => {})
    const spawned = once(child, 'spawn')
    // 'error' also fires when spawning fails; once() above turns it into a rejection of `spawned`.
    child.on('error', () => {})
    try {
      await spawned
    } catch (error) {
      throw new TransportError('unknown_host', `cannot start bash: ${messageOf(error)}`, this.host, false)
    }
    const pgid = child.pid!
    const drained = Promise.all([
      this.follow(child.stdout!, 'stdout', request.onLine),
      this.follow(child.stderr!, 'stderr', request.onLine),
    ])
    const startTime = processStartTime(pgid)
    request.onStart?.(startTime === null ? { pgid } : { pgid, startTime })

    // what stopping the group on abort came to: null when it was killed, else the error
    let abortKill: Promise<unknown> | null = null
    const onAbort = () => {
      abortKill = stopProcessGroup(this, startTime === null ? { pgid } : { pgid, startTime }, { graceMs: this.killGraceMs, pollMs: 25 })
        .then(() => null, (error: unknown) => error)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    // An abort that came while the process was starting fired no listener.
    if (signal.aborted) onAbort()
    try {
      const [code, sig] = await exited
      if (abortKill) throw abortedAfterKill(signal.reason, pgid, await abortKill)
      await this.drain(drained, child.stdout!, child.stderr!)
      if (signal.aborted) {
        if (!abortKill) onAbort()
        throw abortedAfterKill(signal.reason, pgid, await abortKill)
      }
      return { exitCode: code, signal: sig }
    } finally {
      signal.removeEventListener('abort', onAbort)
      child.stdout!.destroy()
      child.stderr!.destroy()
    }
  }

  async killProcessGroup(pgid: number, sig: GroupSignal, startTime: string | null = null): Promise<GroupState> {
    if (!isSameLeader(pgid, startTime)) return 'reused'
    if (liveGroupMembers(pgid).length === 0) return 'gone'
    if (sig !== 'CHECK') signalProcessGroup(pgid, `SIG${sig}`)
    return 'running'
  }

  async fetchFile(remotePath: string, localPath: string, signal: AbortSignal): Promise<FileStat> {
    if (signal.aborted) throw new AbortError(signal.reason)
    try {
      await copyFile(remotePath, localPath)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new TransportError('file_not_found', `no such file: ${remotePath}`, this.host, false)
      }
      throw error
    }
    const { size } = await stat(localPath)
    return { path: localPath, size }
  }

  private follow(stream: Readable, name: 'stdout' | 'stderr', onLine: RunRequest['onLine']): Promise<void> {
    const splitter = new LineSplitter((line, bytes) => onLine?.(name, line, bytes),
      this.maxLineLength === undefined ? {} : { maxLineLength: this.maxLineLength })
    stream.on('data', (chunk: Buffer) => splitter.push(chunk))
    return new Promise((resolve) => {
      stream.once('end', () => { splitter.end(); resolve() })
      stream.once('close', () => resolve())
    })
  }

  /**
   * Output is complete when both pipes reach end of file. A background process the command left behind may
   * keep them open; it gets `drainMs`, then the pipes are closed so the step does not hang on it.
   */
  private async drain(drained: Promise<unknown>, ...streams: Readable[]): Promise<void> {
    const timer = delay(this.drainMs, 'timeout' as const, { ref: false })
    if ((await Promise.race([drained, timer])) === 'timeout') for (const s of streams) s.destroy()
  }
}
