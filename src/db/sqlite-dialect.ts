import type SQLite from 'better-sqlite3'
import { SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely'

/**
 * Kysely's SQLite dialect, with one change to its transactions: ROLLBACK is sent only while a transaction is
 * still open. On some errors — SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY — SQLite may already have
 * rolled the whole transaction back itself (https://sqlite.org/lang_transaction.html, "Response To Errors Within
 * A Transaction"); the driver's ROLLBACK then failed with "cannot rollback - no transaction is active", and that
 * error, thrown from Kysely's catch, replaced the one that caused it for the caller and in the log.
 */
export class TransactionSafeSqliteDialect extends SqliteDialect {
  constructor(private readonly sqlite: SQLite.Database) {
    super({ database: sqlite })
  }

  override createDriver(): Driver {
    return new TransactionSafeSqliteDriver(this.sqlite)
  }
}

class TransactionSafeSqliteDriver extends SqliteDriver {
  constructor(private readonly sqlite: SQLite.Database) {
    super({ database: sqlite })
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.sqlite.inTransaction) await super.rollbackTransaction(connection)
  }
}
