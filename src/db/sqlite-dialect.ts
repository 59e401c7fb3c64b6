import type SQLite from 'better-sqlite3'
import {
  CompiledQuery, SelectQueryNode, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type QueryResult,
} from 'kysely'
import { LruMap } from '../lru-map.js'

/** Prepared statements kept per database by default: more than the distinct SQL texts the service sends. */
export const STATEMENT_CACHE_SIZE = 500

export interface SqliteDialectOptions {
  /** How many prepared statements to keep by SQL text (least recently used dropped first); 0 prepares each anew. */
  statementCache?: number
}

/**
 * Kysely's SQLite dialect, with two changes.
 *
 * Transactions: ROLLBACK is sent only while a transaction is still open. On some errors — SQLITE_FULL,
 * SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY — SQLite may already have rolled the whole transaction back itself
 * (https://sqlite.org/lang_transaction.html, "Response To Errors Within A Transaction"); the driver's ROLLBACK then
 * failed with "cannot rollback - no transaction is active", and that error, thrown from Kysely's catch, replaced
 * the one that caused it for the caller and in the log.
 *
 * Statements: Kysely's connection prepares every query anew, which was a tenth of a task GET and of log ingest.
 * Here prepared statements are reused by SQL text. That is safe: the one connection runs one query at a time (the
 * driver's mutex) and `all`/`run` finish and reset the statement before returning; a statement does not belong to
 * a transaction; and SQLite re-prepares a statement by itself when the schema changed under it. Only streamed
 * queries prepare their own, since an open iterator keeps its statement busy.
 */
export class TransactionSafeSqliteDialect extends SqliteDialect {
  constructor(private readonly sqlite: SQLite.Database, private readonly options: SqliteDialectOptions = {}) {
    super({ database: sqlite })
  }

  override createDriver(): Driver {
    return new TransactionSafeSqliteDriver(this.sqlite, this.options.statementCache ?? STATEMENT_CACHE_SIZE)
  }
}

class TransactionSafeSqliteDriver extends SqliteDriver {
  readonly #connection: CachingSqliteConnection

  constructor(private readonly sqlite: SQLite.Database, statementCache: number) {
    super({ database: sqlite })
    this.#connection = new CachingSqliteConnection(sqlite, statementCache)
  }

  /** The parent's mutex, then this connection instead of the parent's. */
  override async acquireConnection(): Promise<DatabaseConnection> {
    await super.acquireConnection()
    return this.#connection
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.sqlite.inTransaction) await super.rollbackTransaction(connection)
  }
}

class CachingSqliteConnection implements DatabaseConnection {
  readonly #statements: LruMap<string, SQLite.Statement>

  constructor(private readonly sqlite: SQLite.Database, capacity: number) {
    this.#statements = new LruMap(capacity)
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery
    const statement = this.#statement(sql)
    if (statement.reader) return Promise.resolve({ rows: statement.all(parameters) as R[] })
    const { changes, lastInsertRowid } = statement.run(parameters)
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] })
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) throw new Error('Sqlite driver only supports streaming of select queries')
    for (const row of this.sqlite.prepare(compiledQuery.sql).iterate(compiledQuery.parameters)) yield { rows: [row as R] }
  }

  #statement(sql: string): SQLite.Statement {
    return this.#statements.get(sql) ?? this.#statements.set(sql, this.sqlite.prepare(sql))
  }
}
