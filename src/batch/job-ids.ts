import { shellQuote } from '../shell-quote.js'
import { InvalidJobIdError, type BatchSystem } from './types.js'

/** Every id is checked against its system's form before it goes into a command: a bad id is an error. */
export function checkIds(system: BatchSystem, pattern: RegExp, ids: readonly string[]): string[] {
  for (const id of ids) if (!pattern.test(id)) throw new InvalidJobIdError(system, id)
  return [...new Set(ids)]
}

/** How much of a command line the ids of one command may take. */
export interface CommandLimit {
  maxIds: number
  /** Bytes of the quoted ids and their separators. */
  maxBytes: number
}

/** Far below ARG_MAX (2 MiB on Linux) and sshd's limits; a poll of 10,000 ids still needs only a few commands. */
export const defaultLimit: CommandLimit = { maxIds: 5000, maxBytes: 100_000 }

/**
 * The ids in as few groups as the limit allows, in order; one group whenever they fit. `separator` is how the
 * command joins them (a space between arguments, a comma in a Slurm list).
 */
export function splitIds(ids: readonly string[], limit: CommandLimit = defaultLimit, separator = ' '): string[][] {
  const groups: string[][] = []
  let group: string[] = []
  let bytes = 0
  for (const id of ids) {
    const size = Buffer.byteLength(shellQuote(id))
    if (group.length > 0 && (group.length >= limit.maxIds || bytes + separator.length + size > limit.maxBytes)) {
      groups.push(group)
      group = []
    }
    bytes = group.length > 0 ? bytes + separator.length + size : size
    group.push(id)
  }
  if (group.length > 0) groups.push(group)
  return groups
}
