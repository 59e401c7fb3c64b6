import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import { contentTypeOf } from '../../src/artifacts/content-type.js'
import { safeFileName } from '../../src/artifacts/artifact-files.js'
import { buildGlobCommand, parseGlobOutput } from '../../src/steps/remote-glob.js'
import { Frame } from '../../src/remote/framing.js'
import { downloadCases, type Site } from './download-cases.js'

let site: Site
t.beforeEach(() => {
  const base = mkdtempSync(join(tmpdir(), 'topup-remote-'))
  site = { transport: new LocalTransport({ killGraceMs: 500 }), base }
})
t.afterEach(() => rmSync(site.base, { recursive: true, force: true }))

downloadCases(t, () => site)

t.test('local names: base name only, no separators or control characters', async (t) => {
  t.equal(safeFileName('/a/b/../c.png'), 'c.png')
  t.equal(safeFileName('/a/b/'), 'b')
  t.equal(safeFileName('..'), 'file')
  t.equal(safeFileName('/x/..'), 'file')
  t.equal(safeFileName('dir/a\\b\x07.txt'), 'a_b_.txt')
  const long = safeFileName(`/d/${'能'.repeat(100)}.pdf`)
  t.ok(Buffer.byteLength(long) <= 200 && long.endsWith('.pdf'))
})

t.test('content types by extension', async (t) => {
  t.same(['x.pdf', 'X.PNG', 'a.txt', 'h.root', 'o.json', 'job.log', 'noext', 'a.weird'].map(contentTypeOf), [
    'application/pdf', 'image/png', 'text/plain; charset=utf-8', 'application/x-root', 'application/json',
    'text/plain; charset=utf-8', 'application/octet-stream', 'application/octet-stream',
  ])
})

t.test('the listing reads the framed lines only and refuses a malformed one', async (t) => {
  const frame = new Frame('listing')
  t.match(buildGlobCommand(frame, "a'b *"), /^set -- 'a'\\''b \*'\n/)
  const reader = frame.reader()
  for (const line of ['Welcome to beslogin', 'F 3 /x/noise.png', `${frame.tag} BEGIN`, `${frame.tag} V F 12 /x/a b.png`, `${frame.tag} END 1`]) reader.take(line)
  t.same(parseGlobOutput(frame, reader.values()), { files: [{ path: '/x/a b.png', size: 12 }], skipped: 0 })
  t.throws(() => parseGlobOutput(frame, ['F x /x/a.png']), { name: 'FramingError' })
  t.same(parseGlobOutput(frame, ['NOFOLDER /x/gone dir']), { files: [], skipped: 0, missingFolder: '/x/gone dir' })
})
