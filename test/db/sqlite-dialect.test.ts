import t from 'tap'
import { sql, type Kysely } from 'kysely'
import { openDatabase } from '../../src/db/connect.js'
import { reusableQuery } from '../../src/db/reusable-query.js'

/** The dialect's statement cache, its rows made from raw arrays (the same rows as better-sqlite3's own), and reusable queries. */

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

t.test('a reusable query runs with each call\'s values and keeps the constants it was built with', async (t) => {
  const { db, sqlite } = openDatabase(':memory:')
  t.teardown(() => db.destroy())
  sqlite.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, kind TEXT, name TEXT);
    INSERT INTO t VALUES (1, 'a', 'one'), (2, 'b', 'two'), (3, 'a', 'three')`)
  const q = db as unknown as Kysely<{ t: { id: number; kind: string; name: string } }>
  const named = reusableQuery((_db, kind: string, above: number) =>
    q.selectFrom('t').select('name').where('kind', '=', kind).where('id', '>', above).where('name', '!=', 'never').orderBy('id'))
  t.same(await named(db, 'a', 0), [{ name: 'one' }, { name: 'three' }])
  t.same(await named(db, 'a', 1), [{ name: 'three' }])
  t.same(await named(db, 'b', 0), [{ name: 'two' }])
  t.same(await named(db, "a' OR 1=1 --", 0), [], 'values are parameters, never SQL')
})
