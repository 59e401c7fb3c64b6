/**
 * One step of the schema. Migrations are numbered SQL kept in TypeScript modules (src/db/migrations/), not .sql
 * files and not Kysely's Migrator: tsc carries a module into dist/ (a .sql file would have to be found relative
 * to the project root), and this runner is synchronous and puts every pending migration in one transaction.
 * Kysely's Migrator runs SQLite migrations outside any transaction (its SQLite adapter reports no transactional
 * DDL), so a failing one would leave a half-changed database, and it is async, which openDatabase is not.
 */
export interface Migration {
  /** `NNNN-what`: NNNN is its place in the list, from 0001. */
  name: string
  /** Statements run inside the runner's transaction: no BEGIN/COMMIT, no PRAGMA foreign_keys. */
  sql: string
}
