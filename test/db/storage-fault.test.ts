import { join } from 'node:path'
import { sql } from 'kysely'
import t from 'tap'
import { openDatabase } from '../../src/db/connect.js'
import { describeFault, storageFault } from '../../src/db/storage-fault.js'
import { WriteProbe } from '../../src/db/write-probe.js'
import { smallDisk } from '../helpers/small-disk.js'

const coded = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(code), { code }, extra)

t.test('storage faults are told apart from other errors, by code, along the cause chain', async (t) => {
  const cases: [unknown, ReturnType<typeof storageFault>][] = [
    [coded('SQLITE_FULL'), { kind: 'full', code: 'SQLITE_FULL' }],
    [coded('ENOSPC'), { kind: 'full', code: 'ENOSPC' }],
    [coded('EDQUOT'), { kind: 'full', code: 'EDQUOT' }],
    [coded('SQLITE_IOERR'), { kind: 'io', code: 'SQLITE_IOERR' }],
    [coded('SQLITE_IOERR_WRITE'), { kind: 'io', code: 'SQLITE_IOERR_WRITE' }],
    [coded('SQLITE_IOERR_FSYNC'), { kind: 'io', code: 'SQLITE_IOERR_FSYNC' }],
    [coded('SQLITE_CANTOPEN'), { kind: 'io', code: 'SQLITE_CANTOPEN' }],
    [coded('EIO'), { kind: 'io', code: 'EIO' }],
    [coded('SQLITE_READONLY'), { kind: 'readonly', code: 'SQLITE_READONLY' }],
    [coded('SQLITE_READONLY_DBMOVED'), { kind: 'readonly', code: 'SQLITE_READONLY_DBMOVED' }],
    [coded('EROFS'), { kind: 'readonly', code: 'EROFS' }],
    [new Error('wrapped', { cause: coded('SQLITE_FULL') }), { kind: 'full', code: 'SQLITE_FULL' }],
    [coded('SQLITE_CONSTRAINT_UNIQUE'), null],
    [coded('SQLITE_ERROR'), null],
    [coded('SQLITE_BUSY'), null],
    [coded('ENOENT'), null],
    [coded('FST_ERR_NOT_FOUND'), null],
    [new Error('cannot rollback - no transaction is active'), null],
    ['a string', null],
    [null, null],
  ]
  for (const [error, expected] of cases) t.same(storageFault(error), expected, String((error as Error | null)?.message ?? error))
  t.equal(describeFault({ kind: 'full', code: 'SQLITE_FULL' }), 'the server\'s disk is full')
})

t.test('on a full disk a transaction fails with SQLITE_FULL, not the rollback that followed; what was committed stays', async (t) => {
  const disk = smallDisk(t)
  const { db } = openDatabase(join(disk.dir, 'topup.db'))
  t.teardown(() => db.destroy())
  await sql`CREATE TABLE notes (body TEXT NOT NULL)`.execute(db)
  const insert = (body: string) => db.transaction().execute(async (trx) => {
    await trx.insertInto('notes' as never).values({ body } as never).execute()
  })
  const count = async () => (await sql<{ n: number }>`SELECT count(*) AS n FROM notes`.execute(db)).rows[0]!.n
  await insert('before the disk filled')

  disk.fill()
  const failure = await insert('x'.repeat(64 * 1024)).then(() => null, (error: unknown) => error)
  t.match(failure, { code: 'SQLITE_FULL', message: 'database or disk is full' }, 'the error is the one that caused it')
  t.equal(await count(), 1, 'a read still answers; nothing of the failed transaction stays')
  // The connection is usable: the next transaction is not refused as "within a transaction".
  const again = await insert('y'.repeat(64 * 1024)).then(() => null, (error: unknown) => error)
  t.match(again, { code: 'SQLITE_FULL' })

  disk.free()
  await insert('after the space came back')
  t.same((await sql<{ body: string }>`SELECT body FROM notes ORDER BY rowid`.execute(db)).rows.map((r) => r.body),
    ['before the disk filled', 'after the space came back'])
})

t.test('the write probe: ok, failing (once logged, with the original error) while the disk is full, ok again', async (t) => {
  const disk = smallDisk(t)
  const { db } = openDatabase(join(disk.dir, 'topup.db'))
  t.teardown(() => db.destroy())
  const logged: { level: string; obj: object; msg: string }[] = []
  const log = {
    error: (obj: object, msg: string) => { logged.push({ level: 'error', obj, msg }) },
    info: (obj: object, msg: string) => { logged.push({ level: 'info', obj, msg }) },
  }
  const probe = new WriteProbe(db, 60_000, log)
  t.equal(probe.state, null, 'nothing known before the first probe')
  t.match(await probe.probe(), { ok: true })

  disk.fill()
  const failing = await probe.probe()
  t.match(failing, { ok: false, fault: { kind: 'full', code: 'SQLITE_FULL' }, error: 'database or disk is full' })
  const again = await probe.probe()
  t.match(again, { ok: false, failingSince: failing.ok ? '' : failing.failingSince }, 'failing since the first failure')
  t.equal(logged.length, 1, 'logged once')
  t.match(logged[0], { level: 'error', obj: { err: { code: 'SQLITE_FULL' } }, msg: 'database writes are failing: the server\'s disk is full' })

  disk.free()
  const ok = await probe.probe()
  t.match(ok, { ok: true })
  t.equal(probe.state, ok, 'the state is the last probe\'s')
  t.match(logged[1], { level: 'info', msg: 'database writes work again' })
})
