/**
 * How a step runs a command on a host: `local` (child processes) or `ssh` (pooled connections through jump
 * hosts). Steps see only this interface, so every step type works on every host.
 */
export interface RunRequest {
  /** A complete `bash -c` command line; every parameter in it is already shell-quoted. */
  command: string
  /** Aborting kills the command's whole process group (on the remote host too) and rejects. */
  signal: AbortSignal
  /**
   * Each complete line, as it arrives (UTF-8 decoded across chunk boundaries, no trailing newline); `bytes` is
   * how many raw bytes of the stream it consumed, its newline (and a dropped "\r") included. `fromLogin` marks a
   * stdout line the host's login shell printed before the command started (.bashrc, banners): part of the log,
   * but not the command's output.
   */
  onLine?: (stream: 'stdout' | 'stderr', line: string, bytes: number, fromLogin?: boolean) => void
  /**
   * Called once the process group id is known, so that it can be recorded for a later kill; `startTime` is the
   * group leader's start time (/proc/<pid>/stat field 22), which tells a reused pid apart.
   */
  onStart?: (info: { pgid: number; startTime?: string }) => void
}

export interface RunResult {
  exitCode: number | null
  /** Signal name when the command was killed by one. */
  signal: string | null
}

export type GroupSignal = 'TERM' | 'KILL' | 'CHECK'
export type GroupState = 'running' | 'gone' | 'reused'

export interface FileStat {
  path: string
  size: number
}

export interface Transport {
  /** The host name from HOSTS_FILE, or "local". */
  readonly host: string
  run(request: RunRequest): Promise<RunResult>
  /**
   * Sends a signal to a process group recorded earlier (`CHECK` sends none) and tells what it found: `running`
   * (live members, signalled), `gone` (no live member) or `reused` (with the leader's recorded `startTime`: the
   * pid now belongs to another process; nothing is sent). Throws when the signal cannot be delivered.
   * To stop a group, use stopProcessGroup (stop-group.ts), which adds the grace and KILL.
   */
  killProcessGroup(pgid: number, signal: GroupSignal, startTime?: string | null): Promise<GroupState>
  /** Copies one remote file to a local path. */
  fetchFile(remotePath: string, localPath: string, signal: AbortSignal): Promise<FileStat>
}

/** Thrown by transports; `kind` tells retryable network faults from ones a retry cannot fix. */
export class TransportError extends Error {
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    /** e.g. "lxlogin -> beslogin" */
    readonly hostChain: string,
    readonly retryable: boolean = RETRYABLE.has(kind),
  ) {
    super(message)
    this.name = 'TransportError'
  }

  /** "jump_host_down (lxlogin -> beslogin): …": how a step's log and error name it. */
  describe(): string {
    return `${this.kind} (${this.hostChain}): ${this.message}`
  }
}

export type TransportErrorKind =
  | 'connection_refused' | 'auth_failed' | 'jump_host_down' | 'target_unreachable' | 'dns_failure'
  | 'host_key_mismatch' | 'host_key_unknown' | 'channel_open_failed' | 'timeout' | 'connection_lost'
  | 'unknown_host' | 'file_not_found'

const RETRYABLE = new Set<TransportErrorKind>([
  'connection_refused', 'jump_host_down', 'target_unreachable', 'dns_failure', 'channel_open_failed',
  'timeout', 'connection_lost',
])
