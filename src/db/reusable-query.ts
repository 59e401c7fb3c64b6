import { CompiledQuery, type Compilable } from 'kysely'
import type { Db } from './connect.js'

/**
 * A query Kysely builds and compiles once and then runs with new values. Building and compiling a small read cost
 * more than SQLite answering it, and a task GET made six of them each time. `build` is called once, with
 * stand-ins for the arguments; the compiled parameters that are stand-ins take the call's arguments, the others
 * (constants of the query) stay. Arguments must be single values (a list for `in` would be expanded at build).
 */
export function reusableQuery<A extends unknown[], R>(build: (db: Db, ...args: A) => Compilable<R>): (db: Db, ...args: A) => Promise<R[]> {
  let compiled: { sql: string; parameters: readonly unknown[]; slots: readonly number[] } | undefined
  return async (db, ...args) => {
    if (!compiled) {
      const standIns = args.map((_, i) => `\u0000argument ${i}\u0000`)
      const query = build(db, ...(standIns as A)).compile()
      compiled = { sql: query.sql, parameters: query.parameters, slots: query.parameters.map((p) => standIns.indexOf(p as string)) }
    }
    const { sql, parameters, slots } = compiled
    const values = slots.map((slot, i) => (slot === -1 ? parameters[i] : args[slot]))
    return (await db.executeQuery<R>(CompiledQuery.raw(sql, values))).rows
  }
}
