import { existsSync, readFileSync } from 'node:fs'
import type { TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { messageOf } from './errors.js'

/**
 * The JSON files an administrator writes beside the environment (HOSTS_FILE, SCHEDULES_FILE, NOTIFY_FILE): what
 * reading one and filling its defaults share. Each file's own schema and checks stay with it.
 */

/** The file's JSON, or undefined when there is no such file; a file that is not JSON is `fail`'s error. */
export function readSettingsFile(file: string, fail: (message: string) => Error): unknown {
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw fail(`${file}: not valid JSON: ${messageOf(error)}`)
  }
}

/**
 * A copy of `raw` with the defaults of `schema` filled into each entry of its record `key` ({"hosts": {"a": …}}):
 * Value.Default does not descend into Record values. Anything not shaped so is returned as it is, for the
 * file's schema check to name.
 */
export function withEntryDefaults(raw: unknown, key: string, schema: TSchema): unknown {
  const value = Value.Clone(raw) as Record<string, unknown> | null
  const entries = value && typeof value === 'object' ? value[key] : undefined
  if (entries && typeof entries === 'object') {
    for (const [name, entry] of Object.entries(entries)) (entries as Record<string, unknown>)[name] = Value.Default(schema, entry)
  }
  return value
}
