import { readdirSync, readFileSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'

/** Sends a signal to every process of a group; a group that is already gone is not an error. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): void {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`refusing to signal process group ${pgid}`)
  try {
    process.kill(-pgid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

/**
 * Pids of the group's processes that still run. Zombies do not count: a killed grandchild whose new parent
 * never reaps it stays in the process table, and kill(-pgid, 0) would call the group alive forever.
 */
export function liveGroupMembers(pgid: number): number[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return groupExists(pgid) ? [pgid] : []
  }
  const live: number[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(Number(entry))
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') live.push(Number(entry))
  }
  return live
}

/** Waits until no process of the group runs, at most `timeoutMs`; true when the group is gone. */
export async function waitForGroupExit(pgid: number, timeoutMs: number, pollMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (liveGroupMembers(pgid).length === 0) return true
    if (Date.now() >= deadline) return false
    await delay(pollMs)
  }
}

/** True while the process runs (a zombie counts as gone). */
export function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  const stat = readStat(pid)
  return stat === null ? true : stat.state !== 'Z' && stat.state !== 'X'
}

/** The process's start time in clock ticks after boot (/proc/<pid>/stat field 22), or null when it is gone. */
export function processStartTime(pid: number): string | null {
  return readStat(pid)?.startTime ?? null
}

/**
 * False when the pid now belongs to a process other than the recorded leader (its start time differs). A leader
 * that is gone while members of its group run cannot have had its pid reused: Linux does not hand out a pid that
 * is still some group's id.
 */
export function isSameLeader(pgid: number, startTime: string | null | undefined): boolean {
  if (!startTime) return true
  const now = processStartTime(pgid)
  return now === null || now === startTime
}

function readStat(pid: number): { state: string; pgrp: number; startTime: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name (field 2) may hold spaces and parentheses: parse after its last ")"
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { state: fields[0]!, pgrp: Number(fields[2]), startTime: fields[19]! }
  } catch {
    return null
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}
