import { setTimeout as delay } from 'node:timers/promises'
import type { Transport } from './transport.js'
import { messageOf } from '../errors.js'

export const DEFAULT_KILL_GRACE_MS = 2000

/** A recorded process group: its id and its leader's start time (/proc/<pid>/stat field 22), if known. */
export interface GroupTarget { pgid: number; startTime?: string | null }
export type StopOutcome = 'gone' | 'reused' | 'terminated' | 'killed'

/**
 * The one way a process group is stopped, on any host: TERM, up to `graceMs` for it to end, then KILL, each
 * signal guarded by the leader's start time so a pid reused by another process is left alone. Resolves with what
 * happened; throws (with the host and the group in the message) when a signal could not be delivered or the group
 * still runs after KILL — the caller must then say so, never report it killed.
 */
export async function stopProcessGroup(
  transport: Transport, target: GroupTarget, options: { graceMs?: number; pollMs?: number } = {},
): Promise<StopOutcome> {
  const { pgid } = target
  const startTime = target.startTime ?? null
  const pollMs = options.pollMs ?? 50
  try {
    const first = await transport.killProcessGroup(pgid, 'TERM', startTime)
    if (first !== 'running') return first
    if (await endsWithin(transport, target, options.graceMs ?? DEFAULT_KILL_GRACE_MS, pollMs)) return 'terminated'
    if ((await transport.killProcessGroup(pgid, 'KILL', startTime)) !== 'running') return 'terminated'
    if (await endsWithin(transport, target, 5000, pollMs)) return 'killed'
  } catch (error) {
    throw new Error(`could not kill process group ${pgid} on ${transport.host}: ${messageOf(error)}`)
  }
  throw new Error(`could not kill process group ${pgid} on ${transport.host}: it still runs after SIGKILL`)
}

async function endsWithin(transport: Transport, target: GroupTarget, ms: number, pollMs: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    await delay(pollMs)
    if ((await transport.killProcessGroup(target.pgid, 'CHECK', target.startTime ?? null)) !== 'running') return true
  }
  return false
}
