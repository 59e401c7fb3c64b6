import { copyFile, stat } from 'node:fs/promises'
import {
  TransportError, type FileStat, type GroupSignal, type GroupState, type RunRequest, type RunResult, type Transport,
} from '../transport.js'
import { AbortError, abortedAfterKill } from '../abort-error.js'
import { LineSplitter } from '../line-splitter.js'
import { isSameLeader, liveGroupMembers, signalProcessGroup } from './process-group.js'
import { stopProcessGroup } from '../stop-group.js'
import { messageOf } from '../../errors.js'
import { stepEnvFilter, stepEnvironment, type StepEnvOptions } from './step-env.js'
import { Spawner, SpawnerLost } from './spawner.js'

/** One spawner for the process: it needs no more of the server's environment than a command gets. */
const spawner = new Spawner(() => stepEnvironment(process.env, { passthrough: [] }))

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
 * The commands are started by a small spawner process (spawner.ts), not by the server: fork() from the server's
 * big heap would block its event loop for milliseconds per command. The server signals the groups itself.
 */
export class LocalTransport implements Transport {
  readonly host = 'local'
  private readonly killGraceMs: number
  private readonly drainMs: number
  private readonly maxLineLength: number | undefined
  private readonly environment: (source: NodeJS.ProcessEnv) => Record<string, string>

  constructor(private readonly options: LocalTransportOptions = {}) {
    this.environment = stepEnvFilter(options)
    this.killGraceMs = options.killGraceMs ?? 2000
    this.drainMs = options.drainMs ?? 1000
    this.maxLineLength = options.maxLineLength
  }

  async run(request: RunRequest): Promise<RunResult> {
    const { signal } = request
    if (signal.aborted) throw new AbortError(signal.reason)
    const splitters = { stdout: this.splitter('stdout', request.onLine), stderr: this.splitter('stderr', request.onLine) }
    const run = spawner.run(
      { command: request.command, env: this.environment(this.options.env ?? process.env), drainMs: this.drainMs },
      {
        // called as the start is reported, before the output that may come with it in one read of the channel
        onStarted: ({ pid, startTime }) => request.onStart?.(startTime === null ? { pgid: pid } : { pgid: pid, startTime }),
        onOutput: (stream, chunk) => splitters[stream].push(chunk),
      },
    )
    let started: { pid: number; startTime: string | null }
    try {
      started = await run.started
    } catch (error) {
      if (error instanceof SpawnerLost) throw new TransportError('connection_lost', `${error.message}: it may or may not have run`, this.host, false)
      throw new TransportError('unknown_host', `cannot start bash: ${messageOf(error)}`, this.host, false)
    }
    const pgid = started.pid
    const group = started.startTime === null ? { pgid } : { pgid, startTime: started.startTime }

    // what stopping the group came to (on abort, or when the spawner died): null when it was killed, else the error
    let kill: Promise<unknown> | null = null
    const stop = () => kill ??= stopProcessGroup(this, group, { graceMs: this.killGraceMs, pollMs: 25 }).then(() => null, (error: unknown) => error)
    const onAbort = () => { void stop() }
    signal.addEventListener('abort', onAbort, { once: true })
    // An abort that came while the process was starting fired no listener.
    if (signal.aborted) onAbort()
    try {
      const { code, signal: sig } = await run.exited
      if (signal.aborted) throw abortedAfterKill(signal.reason, pgid, await stop())
      await run.drained
      splitters.stdout.end()
      splitters.stderr.end()
      if (signal.aborted) throw abortedAfterKill(signal.reason, pgid, await stop())
      return { exitCode: code, signal: sig }
    } catch (error) {
      if (!(error instanceof SpawnerLost)) throw error
      // Nothing follows the command any more: it is stopped, and the run fails rather than run it a second time.
      const failure = await stop()
      if (signal.aborted) throw abortedAfterKill(signal.reason, pgid, failure)
      const after = failure === null ? `its process group ${pgid} was stopped` : `${messageOf(failure)}; it may still run`
      throw new TransportError('connection_lost', `${error.message}; ${after}`, this.host, false)
    } finally {
      signal.removeEventListener('abort', onAbort)
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

  private splitter(name: 'stdout' | 'stderr', onLine: RunRequest['onLine']): LineSplitter {
    return new LineSplitter((line, bytes) => onLine?.(name, line, bytes),
      this.maxLineLength === undefined ? {} : { maxLineLength: this.maxLineLength })
  }
}
