import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './exit-codes.js'

type Options = NonNullable<ParseArgsConfig['options']>

/** `help` is accepted by every command; the global `--json` is taken out before (see main.ts). */
const common = { help: { type: 'boolean', short: 'h' } } as const

/** node:util parseArgs with the command's usage in every error. */
export function parseCommand<O extends Options>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options: { ...common, ...options }, allowPositionals: true, strict: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? ''
    if (code.startsWith('ERR_PARSE_ARGS')) throw new UsageError((error as Error).message, usage)
    throw error
  }
}

export function taskIdOf(text: string | undefined, usage: string): number {
  const id = Number(text)
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(id) || id < 1) {
    throw new UsageError(text === undefined ? 'a task id is required' : `"${text}" is not a task id`, usage)
  }
  return id
}

/** `-p name=value` pairs, split at the first `=` (a value may hold more). */
export function assignmentsOf(list: string[] | undefined, usage: string): Array<[string, string]> {
  return (list ?? []).map((item) => {
    const at = item.indexOf('=')
    if (at < 1) throw new UsageError(`-p ${item}: expected name=value`, usage)
    return [item.slice(0, at), item.slice(at + 1)]
  })
}

export function noMorePositionals(positionals: string[], count: number, usage: string): void {
  if (positionals.length > count) throw new UsageError(`unexpected argument "${positionals[count]}"`, usage)
}
