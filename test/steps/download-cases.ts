import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { toArtifact } from '../../src/api/mappers.js'
import { listTaskArtifacts } from '../../src/db/artifact-repository.js'
import { insertArtifact } from '../../src/db/output-repository.js'
import { shellJoin, shellQuote } from '../../src/shell-quote.js'
import type { Transport } from '../../src/remote/transport.js'
import { downloadStep } from '../../src/steps/download.js'
import type { StepContext } from '../../src/steps/step-type.js'
import type { StepOf } from '../../src/workflows/definition.js'
import { stepHarness } from '../helpers/step-context.js'
import { withoutNoise } from '../helpers/ssh-site.js'

/** A host to download from: its transport and an empty absolute folder on it, filled through `transport.run`. */
export interface Site {
  transport: Transport
  base: string
}

export async function sh(site: Site, command: string): Promise<string[]> {
  const out: string[] = []
  const r = await site.transport.run({ command, signal: AbortSignal.timeout(60_000), onLine: (s, l) => { if (s === 'stdout') out.push(l) } })
  if (r.exitCode !== 0) throw new Error(`${command} exited with ${r.exitCode ?? r.signal}`)
  return withoutNoise(out)
}

export async function put(site: Site, rel: string, content: Buffer | string): Promise<string> {
  const path = `${site.base}/${rel}`
  const b64 = Buffer.from(content).toString('base64')
  await sh(site, `mkdir -p -- "$(dirname -- ${shellQuote(path)})" && printf %s ${shellQuote(b64)} | base64 -d > ${shellQuote(path)}`)
  return path
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

async function harness(t: Test, site: Site, path: string, options: { minFiles?: number; taskId?: number; dataDir?: string; db?: never } = {}) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'topup-dl-'))
  if (!options.dataDir) t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const step = {
    id: 'fetch', display_name: 'Fetch', type: 'download',
    inputs: { path, ...(options.minFiles === undefined ? {} : { min_files: options.minFiles }) },
  } as StepOf<'download'>
  const h = await stepHarness<'download'>(t, step, { transport: site.transport })
  const recorded: string[] = []
  let onArtifact: (name: string) => void = () => {}
  const ctx: StepContext<'download'> = {
    ...h.ctx, dataDir,
    addArtifact: async (file) => {
      await insertArtifact(h.db, { execution_id: h.executionId, task_id: h.taskId, ...file })
      recorded.push(file.name)
      onArtifact(file.name)
    },
  }
  const taskDir = join(dataDir, 'artifacts', String(h.taskId))
  return {
    h, ctx, dataDir, taskDir, recorded,
    onArtifact: (fn: (name: string) => void) => { onArtifact = fn },
    run: () => downloadStep.run(ctx),
    artifacts: async () => (await listTaskArtifacts(h.db, h.taskId, { limit: 1000, offset: 0 })).rows
      .map((row) => ({ ...toArtifact(row), path: row.output_path })),
    localFiles: () => (existsSync(taskDir) ? readdirSync(taskDir).sort() : []),
  }
}

/** The values the step recorded with setOutput (the harness's outputs() also holds the artifact rows). */
async function values(d: { h: { outputs(): Promise<Record<string, unknown>> } }) {
  const { files, count, total_bytes: bytes } = await d.h.outputs()
  return { files, count, total_bytes: bytes }
}

export function downloadCases(t: Test, site: () => Site): void {
  t.test('one file: bytes, sha256, size, content type and remote path recorded; outputs set', async (t) => {
    const s = site()
    const body = randomBytes(60_000)
    const remote = await put(s, 'single/Topup_250624.pdf', body)
    const d = await harness(t, s, remote)
    t.match(await d.run(), { status: 'success', summary: '1 file(s), 60000 bytes' })
    t.same(readFileSync(join(d.taskDir, 'Topup_250624.pdf')), body)
    const [row] = await d.artifacts()
    t.match(row, {
      name: 'Topup_250624.pdf', path: `artifacts/${d.h.taskId}/Topup_250624.pdf`, size: 60_000, sha256: sha(body),
      content_type: 'application/pdf', remote_path: remote, step_id: 'fetch', execution_id: d.h.executionId,
    })
    t.same(await values(d), { files: ['Topup_250624.pdf'], count: 1, total_bytes: 60_000 })

    const again = await harness(t, s, remote, { dataDir: d.dataDir })
    // a second download of the same name into the same task folder keeps both files
    const ctx = { ...again.ctx, task: d.h.ctx.task }
    t.match(await downloadStep.run(ctx), { status: 'success' })
    t.same(d.localFiles(), ['Topup_250624 (2).pdf', 'Topup_250624.pdf'])
  })

  t.test('a glob of several files: regular files only, in order; equal base names kept apart', async (t) => {
    const s = site()
    for (const name of ['c.png', 'a.png', 'b.png', 'notes.txt']) await put(s, `glob/${name}`, `${name}\n`)
    await sh(s, `mkdir -p ${shellQuote(`${s.base}/glob/dir.png`)}`)
    const d = await harness(t, s, `${s.base}/glob/*.png`)
    t.match(await d.run(), { status: 'success' })
    const rows = await d.artifacts()
    t.same(rows.map((r) => r.name), ['a.png', 'b.png', 'c.png'])
    t.ok(rows.every((r) => r.content_type === 'image/png'))
    t.same(readFileSync(join(d.taskDir, 'b.png'), 'utf8'), 'b.png\n')

    await put(s, 'twins/run1/plot.png', 'one')
    await put(s, 'twins/run2/plot.png', 'two')
    const twins = await harness(t, s, `${s.base}/twins/*/plot.png`)
    t.match(await twins.run(), { status: 'success' })
    t.same((await twins.artifacts()).map((r) => [r.name, r.remote_path]),
      [['plot.png', `${s.base}/twins/run1/plot.png`], ['plot (2).png', `${s.base}/twins/run2/plot.png`]])
    t.same(readFileSync(join(twins.taskDir, 'plot (2).png'), 'utf8'), 'two')
  })

  t.test('Chinese names and names with glob characters survive', async (t) => {
    const s = site()
    await put(s, 'zh/能量刻度 250624.pdf', '中文内容')
    await put(s, 'zh/run[1].txt', 'literal')
    await put(s, 'zh/run1.txt', 'not this one')
    const d = await harness(t, s, `${s.base}/zh/*刻度*.pdf`)
    t.match(await d.run(), { status: 'success' })
    t.same(d.localFiles(), ['能量刻度 250624.pdf'])
    t.equal(readFileSync(join(d.taskDir, '能量刻度 250624.pdf'), 'utf8'), '中文内容')
    t.match((await d.artifacts())[0], { name: '能量刻度 250624.pdf', remote_path: `${s.base}/zh/能量刻度 250624.pdf` })

    const literal = await harness(t, s, `${s.base}/zh/run[1].txt`)
    t.match(await literal.run(), { status: 'success' })
    t.same(literal.localFiles(), ['run[1].txt'])
    t.equal(readFileSync(join(literal.taskDir, 'run[1].txt'), 'utf8'), 'literal')
  })

  t.test('hostile names are data, never shell syntax', async (t) => {
    const s = site()
    const names = ['a b;rm -rf x.png', '$(touch PWNED).png', '`touch PWNED2`.log', "it's \"quoted\".txt", '-rf', 'x..y.png']
    for (const name of [...names, '..png']) await put(s, `evil/${name}`, name)
    await sh(s, `printf x > ${shellQuote(`${s.base}/evil/new\nline.txt`)}`)
    const d = await harness(t, s, `${s.base}/evil/*`)
    t.match(await d.run(), { status: 'success' })
    t.same(d.localFiles(), [...names].sort())
    for (const name of names) t.equal(readFileSync(join(d.taskDir, name), 'utf8'), name)
    t.match(d.h.logs.find((l) => l.level === 'warning'), { message: /1 match\(es\) skipped: a newline/ })
    t.same((await sh(s, `cd ${shellQuote(s.base)} && find . -name 'PWNED*'`)), [], 'nothing ran on the host')
    t.notOk(existsSync('PWNED') || existsSync('PWNED2'))

    for (const name of ['a b;rm -rf x.png', '..png']) {
      const one = await harness(t, s, `${s.base}/evil/${name}`)
      t.match(await one.run(), { status: 'success' })
      t.same(one.localFiles(), [name])
    }
    t.same((await sh(s, `ls -A ${shellQuote(`${s.base}/evil`)} | wc -l`)), ['9'], 'every remote file is still there')
  })

  t.test('fewer matches than min_files fails clearly and keeps nothing', async (t) => {
    const s = site()
    await put(s, 'few/one.root', 'r')
    const d = await harness(t, s, `${s.base}/few/*.root`, { minFiles: 2 })
    const outcome = await d.run()
    t.match(outcome, { status: 'failed', retryable: false })
    t.match(outcome.status === 'failed' && outcome.error, `1 file(s) match ${s.base}/few/*.root on ${s.transport.host}, at least 2 required`)
    t.same(await d.artifacts(), [])
    t.same(d.localFiles(), [])

    const none = await harness(t, s, `${s.base}/few/*.pdf`)
    t.match(await none.run(), { status: 'failed', error: /^0 file\(s\) match .* at least 1 required$/ })
    const optional = await harness(t, s, `${s.base}/few/*.pdf`, { minFiles: 0 })
    t.match(await optional.run(), { status: 'success', summary: 'no file matched (min_files 0)' })
    t.same(await values(optional), { files: [], count: 0, total_bytes: 0 })
    t.ok(optional.h.logs.some((l) => l.message === 'nothing to download: min_files is 0, so no match is a success with count 0'))
  })

  t.test('a folder that does not exist fails, also with min_files 0', async (t) => {
    const s = site()
    for (const [path, folder] of [[`${s.base}/gone/*.pdf`, `${s.base}/gone`], [`${s.base}/gone/*/x.pdf`, `${s.base}/gone/*`]]) {
      for (const minFiles of [0, 1]) {
        const d = await harness(t, s, path!, { minFiles })
        t.match(await d.run(), { status: 'failed', retryable: false, error: `the folder ${folder} of ${path} does not exist on ${s.transport.host}` })
      }
    }
    await put(s, 'there/a/x.pdf', 'x')
    const globbed = await harness(t, s, `${s.base}/there/*/*.pdf`, { minFiles: 0 })
    t.match(await globbed.run(), { status: 'success', summary: '1 file(s), 1 bytes' }, 'a folder part that is a glob needs one matching folder')
  })

  t.test('abort between files stops at once', async (t) => {
    const s = site()
    for (const name of ['1.log', '2.log', '3.log']) await put(s, `stop/${name}`, name)
    const d = await harness(t, s, `${s.base}/stop/*.log`)
    d.onArtifact(() => d.h.controller.abort('cancel'))
    t.match(await d.run(), { status: 'failed', error: 'stopped (cancel) after 1 file(s)', retryable: false })
    t.same(d.recorded, ['1.log'])
    t.same(d.localFiles(), ['1.log'])
  })

  t.test('abort during a copy deletes the partial file', async (t) => {
    const s = site()
    await sh(s, `mkdir -p ${shellQuote(`${s.base}/huge`)} && head -c 400000000 /dev/zero > ${shellQuote(`${s.base}/huge/big.root`)}`)
    const d = await harness(t, s, `${s.base}/huge/big.root`)
    mkdirSync(d.taskDir, { recursive: true })
    const watcher = watch(d.taskDir)
    watcher.on('change', (_e, name) => { if (String(name).endsWith('big.root')) d.h.controller.abort('cancel') })
    t.teardown(() => watcher.close())
    const started = Date.now()
    t.match(await d.run(), { status: 'failed', error: 'stopped (cancel) after 0 file(s)' })
    t.ok(Date.now() - started < 10_000)
    t.same(d.localFiles(), [], 'the partial file is gone')
    t.same(await d.artifacts(), [])
    await sh(s, `rm -rf ${shellJoin([`${s.base}/huge`])}`)
  })
}
