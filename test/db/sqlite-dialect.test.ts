import t from 'tap'
import { sql } from 'kysely'
import { openDatabase } from '../../src/db/connect.js'

/** The dialect's statement cache and its rows made from raw arrays: the same rows as better-sqlite3's own. */

t.test('cached statements answer the same rows as fresh ones, nulls, a repeated name and a quoted name included', async (t) => {
  const cached = openDatabase(':memory:')
  const fresh = openDatabase(':memory:', { statementCache: 0 })
  t.teardown(() => Promise.all([cached.db.destroy(), fresh.db.destroy()]))
  for (const { sqlite } of [cached, fresh]) {
    sqlite.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, "odd ""name""" TEXT, n REAL, empty TEXT);
      INSERT INTO t VALUES (1, 'a', 1.5, NULL), (2, 'b', NULL, 'x')`)
  }
  const queries = [
    sql`SELECT * FROM t ORDER BY id`,
    sql`SELECT id, n AS id, empty FROM t ORDER BY id`,
    sql`SELECT count(*) AS n FROM t WHERE id > ${5}`,
    sql`INSERT INTO t (empty) VALUES (${"y"}) RETURNING *`,
  ]
  for (const query of queries) {
    for (let i = 0; i < 2; i++) {
      const [a, b] = await Promise.all([query.execute(cached.db), query.execute(fresh.db)])
      t.same(a.rows, b.rows, `${query.compile(cached.db).sql} (run ${i + 1})`)
    }
  }
  const repeated = await sql`SELECT id, n AS id, empty FROM t WHERE t.id = 1`.execute(cached.db)
  t.same(repeated.rows, [{ id: 1.5, empty: null }], 'the later of two columns of one name')
})

t.test('a statement whose columns change under it (select * after ALTER TABLE) answers the new columns', async (t) => {
  const { db, sqlite } = openDatabase(':memory:')
  t.teardown(() => db.destroy())
  sqlite.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1)`)
  const all = sql`SELECT * FROM t`
  t.same((await all.execute(db)).rows, [{ id: 1 }])
  sqlite.exec(`ALTER TABLE t ADD COLUMN name TEXT DEFAULT 'one'`)
  t.same((await all.execute(db)).rows, [{ id: 1, name: 'one' }])
})
