import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Db } from '../../src/db/connect.js'
import { signArtifactLink } from '../../src/auth/artifact-link.js'
import { insertArtifact } from '../../src/db/output-repository.js'
import { insertTask } from '../../src/db/task-repository.js'
import { loggableUrl } from '../../src/logger.js'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import { downloadStep } from '../../src/steps/download.js'
import { TEST_SECRET, buildTestApp, sharedByFile } from '../helpers/app.js'
import { stepHarness } from '../helpers/step-context.js'

const PDF = randomBytes(70_000)
const ZH_NAME = '能量刻度 "报告" 250624.png'

async function insertTaskOf(db: Db, userId: string): Promise<number> {
  const wf = await db.insertInto('workflows').values({
    name: 'artifact_test', display_name: 'Artifacts', version: '1', definition: '{}', definition_hash: `h${Math.random()}`,
  }).returning('id').executeTakeFirstOrThrow()
  const task = await insertTask(db, {
    user_id: userId, workflow_id: wf.id, workflow_name: 'artifact_test', workflow_snapshot: '{}', task_name: `task of ${userId}`,
  }, [])
  return task.id
}

/** The real app, and alice's task whose download step fetched two files into DATA_DIR/artifacts. */
async function setup(t: Test) {
  const server = await buildTestApp(t)
  const remote = mkdtempSync(join(tmpdir(), 'topup-remote-'))
  t.teardown(() => rmSync(remote, { recursive: true, force: true }))
  writeFileSync(join(remote, 'Topup_250624.pdf'), PDF)
  writeFileSync(join(remote, ZH_NAME), '中文图片')
  const taskId = await insertTaskOf(server.db, 'alice')
  const h = await stepHarness<'download'>(t, { id: 'download_pdf', display_name: 'Download', type: 'download', inputs: { path: `${remote}/*` } },
    { db: server.db, taskId, transport: new LocalTransport() })
  const outcome = await downloadStep.run({
    ...h.ctx, dataDir: server.config.DATA_DIR,
    addArtifact: async (file) => { await insertArtifact(server.db, { execution_id: h.executionId, task_id: taskId, ...file }) },
  })
  t.match(outcome, { status: 'success' })
  const list = await server.app.inject({ url: `/api/tasks/${taskId}/artifacts`, headers: server.authFor('alice') })
  const items = (list.json() as { items: Array<{ id: number; name: string }> }).items
  const id = (name: string) => items.find((i) => i.name === name)!.id
  return { ...server, remote, taskId, executionId: h.executionId, pdfId: id('Topup_250624.pdf'), zhId: id(ZH_NAME) }
}

// The tests that only read share one fixture; those that break files or rows have their own.
const shared = sharedByFile(t, () => setup(t))

t.test('the list of a task\'s files', async (t) => {
  const s = shared()
  const res = await s.app.inject({ url: `/api/tasks/${s.taskId}/artifacts`, headers: s.authFor('alice') })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.match(body, { total: 2, limit: 100, offset: 0 })
  t.same(body.items.map((i: { name: string }) => i.name), ['Topup_250624.pdf', ZH_NAME])
  t.match(body.items[0], {
    id: s.pdfId, name: 'Topup_250624.pdf', size: PDF.length, sha256: /^[0-9a-f]{64}$/, content_type: 'application/pdf',
    remote_path: join(s.remote, 'Topup_250624.pdf'), step_id: 'download_pdf', execution_id: s.executionId, created_at: /Z$/,
  })
  t.notOk('path' in body.items[0], 'the local path is not exposed')
  const page = await s.app.inject({ url: `/api/tasks/${s.taskId}/artifacts?limit=1&offset=1`, headers: s.authFor('alice') })
  t.match(page.json(), { total: 2, items: [{ name: ZH_NAME }] })
})

t.test('a file is streamed with its type, length and name', async (t) => {
  const s = shared()
  const pdf = await s.app.inject({ url: `/api/artifacts/${s.pdfId}`, headers: s.authFor('alice') })
  t.equal(pdf.statusCode, 200)
  t.same(pdf.rawPayload, PDF, 'the bytes are the downloaded bytes')
  t.equal(pdf.headers['content-type'], 'application/pdf')
  t.equal(pdf.headers['content-length'], String(PDF.length))
  t.equal(pdf.headers['content-disposition'],
    'inline; filename="Topup_250624.pdf"; filename*=UTF-8\'\'Topup_250624.pdf', 'a PDF opens in the browser')
  t.equal(pdf.headers['x-content-type-options'], 'nosniff')

  const zh = await s.app.inject({ url: `/api/artifacts/${s.zhId}`, headers: s.authFor('alice') })
  t.equal(zh.statusCode, 200)
  t.equal(zh.body, '中文图片')
  t.equal(zh.headers['content-type'], 'image/png')
  const disposition = String(zh.headers['content-disposition'])
  t.match(disposition, /^inline; /, 'a PNG opens in the browser')
  const ascii = /filename="([^"]*)"/.exec(disposition)![1]!
  t.match(ascii, /^[\x20-\x7e]+\.png$/, 'the plain filename is ASCII without quotes')
  t.equal(decodeURIComponent(/filename\*=UTF-8''(\S+)$/.exec(disposition)![1]!), ZH_NAME, 'the UTF-8 name survives')
})

t.test('same visibility rules as the task: others get 404, admins see all', async (t) => {
  const s = shared()
  for (const url of [`/api/tasks/${s.taskId}/artifacts`, `/api/artifacts/${s.pdfId}`]) {
    const other = await s.app.inject({ url, headers: s.authFor('bob') })
    t.equal(other.statusCode, 404, `${url} as another user`)
    t.equal(other.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(other.json().code, 'not_found')
    t.notMatch(other.body, 'Topup_250624')
    t.equal((await s.app.inject({ url, headers: s.authFor('root', 'admin') })).statusCode, 200, `${url} as admin`)
    t.equal((await s.app.inject({ url })).statusCode, 401, `${url} without a token`)
  }
  const admin = await s.app.inject({ url: `/api/artifacts/${s.pdfId}`, headers: s.authFor('root', 'admin') })
  t.same(admin.rawPayload, PDF)
})

t.test('missing rows and files are 404; ids must be numbers', async (t) => {
  const s = await setup(t)
  const missing = await s.app.inject({ url: '/api/artifacts/999999', headers: s.authFor('alice') })
  t.match(missing, { statusCode: 404 })
  t.match(missing.json(), { code: 'not_found', detail: 'artifact 999999 not found' })
  t.equal((await s.app.inject({ url: '/api/tasks/999999/artifacts', headers: s.authFor('alice') })).statusCode, 404)

  unlinkSync(join(s.config.DATA_DIR, 'artifacts', String(s.taskId), 'Topup_250624.pdf'))
  const gone = await s.app.inject({ url: `/api/artifacts/${s.pdfId}`, headers: s.authFor('alice') })
  t.equal(gone.statusCode, 404)
  t.match(gone.json(), { code: 'not_found', detail: /file of artifact \d+ \(Topup_250624\.pdf\) is missing/ })

  for (const url of ['/api/artifacts/abc', '/api/artifacts/1.5', '/api/tasks/x/artifacts', '/api/artifacts/0']) {
    const bad = await s.app.inject({ url, headers: s.authFor('alice') })
    t.equal(bad.statusCode, 400, url)
    t.equal(bad.json().code, 'validation_failed')
  }
})

t.test('a row pointing outside the artifacts folder is never served', async (t) => {
  const s = await setup(t)
  const outside = join(s.config.DATA_DIR, 'outside-secret.txt')
  writeFileSync(outside, 'secret')
  const link = join(s.config.DATA_DIR, 'artifacts', String(s.taskId), 'link.pdf')
  symlinkSync(outside, link)
  const tampered = [
    '../topup.db', 'topup.db', 'outside-secret.txt', 'artifacts/../outside-secret.txt', `artifacts/${s.taskId}/../../topup.db`,
    outside, '/etc/passwd', `artifacts/${s.taskId}/link.pdf`, 'artifacts', 'artifacts/', '', 'artifacts/\0x',
  ]
  for (const path of tampered) {
    await s.db.updateTable('step_outputs').set({ output_path: path }).where('id', '=', s.pdfId).execute()
    const res = await s.app.inject({ url: `/api/artifacts/${s.pdfId}`, headers: s.authFor('alice') })
    t.equal(res.statusCode, 404, JSON.stringify(path))
    t.notMatch(res.body, /secret|SQLite/, 'nothing of the file leaks')
  }
  await s.db.updateTable('step_outputs').set({ output_path: `artifacts/${s.taskId}/Topup_250624.pdf`, content_type: 'text/html\r\nX-Evil: 1' })
    .where('id', '=', s.pdfId).execute()
  const typed = await s.app.inject({ url: `/api/artifacts/${s.pdfId}`, headers: s.authFor('alice') })
  t.equal(typed.statusCode, 200)
  t.equal(typed.headers['content-type'], 'application/octet-stream', 'a malformed stored type is not sent')
  t.match(typed.headers['content-disposition'], /^attachment; /, 'a file the browser should not show is saved')
  t.notOk('x-evil' in typed.headers)
})

t.test('a listed file carries a short-lived link that needs no token', async (t) => {
  const s = shared()
  const before = Date.now()
  const list = await s.app.inject({ url: `/api/tasks/${s.taskId}/artifacts`, headers: s.authFor('alice') })
  const pdf = (list.json() as { items: Array<{ id: number; url: string; url_expires_at: string }> }).items[0]!
  t.match(pdf.url, new RegExp(`^/api/artifacts/${s.pdfId}\\?user=alice&exp=\\d+&sig=[\\w-]{43}$`))
  const expires = Date.parse(pdf.url_expires_at)
  t.ok(expires > before + 14 * 60_000 && expires <= Date.now() + 15 * 60_000, 'valid for 15 minutes')

  t.notMatch(loggableUrl(pdf.url), /sig=[\w-]{43}/, 'the signature never reaches the log')
  const res = await s.app.inject({ url: pdf.url })
  t.equal(res.statusCode, 200, 'no Authorization header needed')
  t.same(res.rawPayload, PDF)
  t.match(res.headers['content-disposition'], /^inline; /)

  const admin = await s.app.inject({ url: `/api/tasks/${s.taskId}/artifacts`, headers: s.authFor('root', 'admin') })
  const adminUrl = (admin.json() as { items: Array<{ url: string }> }).items[0]!.url
  t.match(adminUrl, /\?user=root&/, 'the link names the user it was issued to')
  t.equal((await s.app.inject({ url: adminUrl })).statusCode, 200)
})

t.test('expired, forged, altered or another file\'s links are refused 403', async (t) => {
  const s = shared()
  const link = (id: number, user = 'alice', ttl = 900, key = TEST_SECRET) => {
    const l = signArtifactLink(key, id, user, ttl)
    return `user=${encodeURIComponent(l.user)}&exp=${l.exp}&sig=${l.sig}`
  }
  const good = new URLSearchParams(link(s.pdfId))
  const cases: [string, string, string][] = [
    ['expired', `/api/artifacts/${s.pdfId}?${link(s.pdfId, 'alice', -1)}`, 'link_expired'],
    ['signed with another key', `/api/artifacts/${s.pdfId}?${link(s.pdfId, 'alice', 900, 'another-secret-key-0123456789abcdef')}`, 'link_invalid'],
    ['of another file', `/api/artifacts/${s.zhId}?${good}`, 'link_invalid'],
    ['for another user', `/api/artifacts/${s.pdfId}?user=bob&exp=${good.get('exp')}&sig=${good.get('sig')}`, 'link_invalid'],
    ['with a later expiry', `/api/artifacts/${s.pdfId}?user=alice&exp=${Number(good.get('exp')) + 3600}&sig=${good.get('sig')}`, 'link_invalid'],
    ['with a garbled signature', `/api/artifacts/${s.pdfId}?user=alice&exp=${good.get('exp')}&sig=AAAA`, 'link_invalid'],
    ['without its signature', `/api/artifacts/${s.pdfId}?user=alice&exp=${good.get('exp')}`, 'link_invalid'],
    ['of a file that is not there', `/api/artifacts/999999?${good}`, 'link_invalid'],
  ]
  for (const [what, url, code] of cases) {
    const res = await s.app.inject({ url })
    t.equal(res.statusCode, 403, what)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', what)
    t.match(res.json(), { code, status: 403, detail: /list the task's artifacts for a new one/ }, what)
    t.notMatch(res.body, 'Topup_250624', `${what}: nothing of the file`)
  }
  const expiredWithToken = await s.app.inject({ url: `/api/artifacts/${s.pdfId}?${link(s.pdfId, 'alice', -1)}`, headers: s.authFor('alice') })
  t.equal(expiredWithToken.statusCode, 403, 'a link that is given is checked, token or not')
  t.equal((await s.app.inject({ url: `/api/artifacts/999999?${link(999999)}` })).statusCode, 404, 'a genuine link to a gone row is 404')
})
