/**
 * The messages between the server and its command spawner (spawner-process.ts), over the IPC channel of the
 * spawner's fork ('advanced' serialisation, so output chunks travel as bytes). Every message of a run carries
 * the run's id; the spawner answers a `run` with `started` (or `failed`), then output chunks, `exit`, and
 * `drained` once the output is complete — in that order, which the channel keeps.
 */
export interface SpawnRequest {
  kind: 'run'
  id: number
  /** A complete `bash -c` command line. */
  command: string
  /** The whole environment of the command (step-env.ts). */
  env: Record<string, string>
  /** After the exit, how long processes left behind may hold the output pipes open. */
  drainMs: number
}

export type ToSpawner = SpawnRequest

export type FromSpawner =
  | { kind: 'started'; id: number; pid: number; startTime: string | null }
  | { kind: 'failed'; id: number; message: string }
  | { kind: 'output'; id: number; stream: 'stdout' | 'stderr'; chunk: Uint8Array }
  | { kind: 'exit'; id: number; code: number | null; signal: string | null }
  | { kind: 'drained'; id: number }

/**
 * Output chunks the spawner may have handed to the channel but not yet written: beyond them it stops reading the
 * command's pipes until the server has read more, so a server that falls behind slows the command instead of
 * filling the spawner's memory.
 */
export const OUTPUT_WINDOW = 16
