import t from 'tap'
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitForFilesStep, type WaitProgress } from '../../src/steps/wait-for-files.js'
import { fileCheckFrame, parseFileCheckOutput } from '../../src/steps/file-check-script.js'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import type { Transport } from '../../src/remote/transport.js'
import type { StepOf } from '../../src/workflows/definition.js'
import { stepHarness, type StepHarness } from '../helpers/step-context.js'

const SIX = ['rec{{ item }}_1.txt', 'rec{{ item }}_1.txt.bosserr', 'rec{{ item }}_1.txt.bosslog',
  'InjSigTime_00{{ item }}_720.root', 'Interval_run{{ item }}.png', 'Interval_run{{ item }}.txt']
const sixOf = (run: string) => SIX.map((f) => f.replaceAll('{{ item }}', run))

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'topup-wait-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
function touch(dir: string, ...names: string[]) {
  for (const n of names) writeFileSync(join(dir, n), '')
}
function waitDef(inputs: StepOf<'wait_for_files'>['inputs']): StepOf<'wait_for_files'> {
  return { id: 'wait', display_name: 'Wait for files', type: 'wait_for_files', inputs }
}
/** Calls `fn` once after the step's n-th poll (counted on the durable progress it saves). */
function afterPoll<K extends 'wait_for_files'>(h: StepHarness<K>, n: number, fn: () => void) {
  const save = h.ctx.progress.save
  let done = false
  h.ctx.progress.save = async (state) => {
    await save(state)
    if (!done && (state as WaitProgress).polls >= n) { done = true; fn() }
  }
}

t.test('files appearing over time, a glob, and a folder that does not exist yet', async (t) => {
  const root = tempDir(t)
  const dir = join(root, '250624')
  const h = await stepHarness(t, waitDef({
    directory: '{{ vars.root }}/{{ params.date_param }}',
    files: ['rec10001_1.txt', 'InjSigTime_*_720.root'],
    poll_seconds: 0.2, max_wait_minutes: 1,
  }), { params: { date_param: '250624' }, vars: { root } })
  afterPoll(h, 1, () => { mkdirSync(dir); touch(dir, 'rec10001_1.txt') })
  afterPoll(h, 2, () => touch(dir, 'InjSigTime_0010001_720.root'))
  const outcome = await waitForFilesStep.run(h.ctx)
  t.match(outcome, { status: 'success', summary: /all 2 item\(s\) complete/ })
  const outputs = await h.outputs()
  t.match(outputs, { total: 2, complete: ['rec10001_1.txt', 'InjSigTime_*_720.root'], incomplete: [] })
  t.ok((outputs.waited_seconds as number) >= 0.2, `waited ${outputs.waited_seconds} s`)
  t.ok(h.logs.some((l) => /does not exist yet/.test(l.message)))
  t.ok(h.logs.some((l) => l.message === '1/2 complete; waiting for InjSigTime_*_720.root'))
})

t.test('for_each: six files per run; gives up after max wait naming the incomplete runs', async (t) => {
  const dir = tempDir(t)
  touch(dir, ...sixOf('10001'), ...sixOf('10002').slice(0, 5))
  const h = await stepHarness(t, waitDef({
    directory: dir, files: SIX, for_each: '{{ steps.list_runs.outputs.runs }}',
    anomaly_files: ['Interval_run0.png'], poll_seconds: '{{ params.poll }}', max_wait_minutes: 0.01,
  }), { params: { poll: '0.2' }, steps: { list_runs: { outputs: { runs: ['10001', '10002', '10003'] } } } })
  const outcome = await waitForFilesStep.run(h.ctx)
  t.match(outcome, { status: 'failed', error: /^gave up after [\d.]+ s: 2 of 3 incomplete: 10002, 10003$/ })
  t.equal(outcome.status === 'failed' && outcome.retryable, false, 'giving up is final: a retry would wait all over again')
  t.match(await h.outputs(), { total: 3, complete: ['10001'], incomplete: ['10002', '10003'] })
  t.ok(((await h.outputs()).waited_seconds as number) >= 0.6)
})

t.test('an anomaly file fails at once', async (t) => {
  const dir = tempDir(t)
  touch(dir, ...sixOf('10001'), 'Interval_run0.png')
  const h = await stepHarness(t, waitDef({
    directory: dir, files: SIX, for_each: '{{ steps.list_runs.outputs.runs }}',
    anomaly_files: ['Interval_run0.png'], poll_seconds: 30, max_wait_minutes: 25,
  }), { steps: { list_runs: { outputs: { runs: ['10001', '10002'] } } } })
  const started = Date.now()
  const outcome = await waitForFilesStep.run(h.ctx)
  t.match(outcome, { status: 'failed', retryable: false, error: /anomaly file Interval_run0\.png appeared/ })
  t.ok(Date.now() - started < 20_000, 'without waiting for the next poll')
  t.match(await h.outputs(), { total: 2, complete: ['10001'], incomplete: ['10002'] })
})

t.test('pause interrupts at once; the resumed wait continues the waited time', async (t) => {
  const dir = tempDir(t)
  const def = waitDef({ directory: dir, files: ['a.txt'], poll_seconds: 0.2, max_wait_minutes: 1 })
  const first = await stepHarness(t, def)
  afterPoll(first, 3, () => first.controller.abort('pause'))
  const outcome = await waitForFilesStep.run(first.ctx)
  t.match(outcome, { status: 'interrupted', summary: /stopped waiting \(pause\): 0\/1 complete/ })
  const saved = (await first.progressState()) as WaitProgress
  t.ok(saved.waited_seconds >= 0.4, `waited ${saved.waited_seconds} s before the pause`)
  t.equal(saved.polls, 3)

  await new Promise((resolve) => setTimeout(resolve, 800)) // time spent paused must not count
  const second = await stepHarness(t, def, { db: first.db, taskId: first.taskId, executionId: first.executionId })
  t.same(second.ctx.progress.resumed, saved, 'the saved progress is handed back')
  afterPoll(second, 5, () => touch(dir, 'a.txt'))
  const stretch = Date.now()
  t.equal((await waitForFilesStep.run(second.ctx)).status, 'success')
  const stretchSeconds = (Date.now() - stretch) / 1000
  const waited = (await second.outputs()).waited_seconds as number
  t.ok(waited >= saved.waited_seconds + 0.3, `total ${waited} s continues from ${saved.waited_seconds} s`)
  t.ok(waited <= saved.waited_seconds + stretchSeconds + 0.2, 'the paused time is not counted')
  const final = (await second.progressState()) as WaitProgress
  t.equal(final.started_at, saved.started_at)
  t.equal(final.waited_seconds_before, saved.waited_seconds)
  t.ok(second.logs.some((l) => /continuing after/.test(l.message)))
})

t.test('shutdown interrupts too; cancel and timeout stop at once as failures', async (t) => {
  const dir = tempDir(t)
  for (const [reason, status] of [['shutdown', 'interrupted'], ['cancel', 'failed'], ['timeout', 'failed']] as const) {
    const h = await stepHarness(t, waitDef({ directory: dir, files: ['never.txt'], poll_seconds: 60 }))
    afterPoll(h, 1, () => h.controller.abort(reason))
    const started = Date.now()
    const outcome = await waitForFilesStep.run(h.ctx)
    t.equal(outcome.status, status, reason)
    if (outcome.status === 'failed') t.match(outcome, { retryable: false, error: new RegExp(`stopped waiting \\(${reason}\\)`) })
    t.ok(Date.now() - started < 20_000, `${reason} does not wait for the next poll`)
  }
})

t.test('names with spaces and quotes, and noise on stdout', async (t) => {
  const dir = join(tempDir(t), "day 250624 'x'")
  mkdirSync(dir)
  touch(dir, 'rec 1.txt', 'Interval run 1.png', "it's $(id).txt")
  const local = new LocalTransport()
  const noisy: Transport = {
    host: 'noisy',
    run: (req) => local.run({ ...req, command: `echo 'Welcome to lxlogin'; echo 'F 0 1 fake'; echo '@@TOPUP-0123456789abcdef V F 3 1 fake'; ` +
      `echo '@@TOPUP-0123456789abcdef END 4'\n${req.command}` }),
    killProcessGroup: (pgid, sig) => local.killProcessGroup(pgid, sig),
    fetchFile: (a, b, s) => local.fetchFile(a, b, s),
  }
  const h = await stepHarness(t, waitDef({
    directory: dir, files: ['rec 1.txt', 'Interval run *.png', "it's $(id).txt", 'rec 2*.txt'],
    poll_seconds: 0.2, max_wait_minutes: 0.005,
  }), { transport: noisy })
  const outcome = await waitForFilesStep.run(h.ctx)
  t.equal(outcome.status, 'failed')
  t.match(await h.outputs(), { complete: ['rec 1.txt', 'Interval run *.png', "it's $(id).txt"], incomplete: ['rec 2*.txt'] })
})

function grow(dir: string, name: string, bytes: number) {
  appendFileSync(join(dir, name), 'x'.repeat(bytes))
}

t.test('stable_polls: a file counts once its size held in that many polls in a row', async (t) => {
  const dir = tempDir(t)
  const h = await stepHarness(t, waitDef({ directory: dir, files: ['hist10001.root'], stable_polls: 2, poll_seconds: 0.2, max_wait_minutes: 1 }))
  afterPoll(h, 1, () => grow(dir, 'hist10001.root', 10))
  afterPoll(h, 2, () => grow(dir, 'hist10001.root', 10))
  const outcome = await waitForFilesStep.run(h.ctx)
  t.match(outcome, { status: 'success' })
  const saved = (await h.progressState()) as WaitProgress
  t.equal(saved.polls, 4, 'seen at poll 2 (10 bytes), grown at poll 3 (20 bytes), unchanged at poll 4')
  t.same(saved.sizes, { 'hist10001.root': [20, 2] })
  t.ok(h.logs.some((l) => l.message === '0/1 complete; waiting for hist10001.root (hist10001.root growing)'))
  t.ok(h.logs.some((l) => /each file once its size held in 2 polls in a row/.test(l.message)))
})

t.test('stable_polls carries over a pause: the sizes seen before it count', async (t) => {
  const dir = tempDir(t)
  grow(dir, 'a.root', 5)
  const def = waitDef({ directory: dir, files: ['a.root', 'b.root'], stable_polls: 3, poll_seconds: 0.2, max_wait_minutes: 1 })
  const first = await stepHarness(t, def)
  afterPoll(first, 2, () => first.controller.abort('pause'))
  t.match(await waitForFilesStep.run(first.ctx), { status: 'interrupted' })
  t.same(((await first.progressState()) as WaitProgress).sizes, { 'a.root': [5, 2] })
  grow(dir, 'b.root', 5)
  const second = await stepHarness(t, def, { db: first.db, taskId: first.taskId, executionId: first.executionId })
  afterPoll(second, 3, () => t.same((second.ctx.progress.resumed as WaitProgress).sizes, { 'a.root': [5, 2] }))
  t.match(await waitForFilesStep.run(second.ctx), { status: 'success' })
  const saved = (await second.progressState()) as WaitProgress
  t.same(saved.sizes, { 'a.root': [5, 5], 'b.root': [5, 3] }, 'a.root counted from the first poll after the pause, b.root from its third')
  t.equal(saved.polls, 5)
})

t.test('a counted glob per item: "1/3 hist files", done at the count, more than the count fails at once', async (t) => {
  const dir = tempDir(t)
  const def = waitDef({
    directory: dir, for_each: '{{ steps.list_runs.outputs.runs }}', poll_seconds: 0.2, max_wait_minutes: 1,
    files: ['rec{{ item }}_1.txt', { glob: 'hist{{ item }}_*.root', count: '{{ params.jobs }}', label: 'hist files' }],
  })
  const scope = { params: { jobs: 3 }, steps: { list_runs: { outputs: { runs: ['10001', '10002'] } } } }
  touch(dir, 'rec10001_1.txt', 'rec10002_1.txt', 'hist10001_0.root', 'hist10001_1.root', 'hist10001_2.root', 'hist10002_0.root')
  const h = await stepHarness(t, def, scope)
  afterPoll(h, 1, () => touch(dir, 'hist10002_1.root'))
  afterPoll(h, 2, () => touch(dir, 'hist10002_2.root'))
  t.match(await waitForFilesStep.run(h.ctx), { status: 'success' })
  const progress = h.logs.map((l) => l.message).filter((m) => /complete/.test(m))
  t.same(progress.slice(0, 2), ['1/2 complete; waiting for 10002 (1/3 hist files)', '1/2 complete; waiting for 10002 (2/3 hist files)'])

  touch(dir, 'hist10002_3.root')
  const over = await stepHarness(t, def, scope)
  t.match(await waitForFilesStep.run(over.ctx), {
    status: 'failed', retryable: false,
    error: `more files than expected in ${dir}: 10002: 4 files match hist10002_*.root, 3 expected`,
  })
})

t.test('as_many_as: as many hist files in the run folder as the run has job files (extended globs)', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, '10001'))
  mkdirSync(join(dir, '10002'))
  touch(dir, 'rec10001_0', 'rec10001_1', 'rec10001_0.bosslog', 'rec10001_1.bosserr', '10001/hist10001_0.root')
  const h = await stepHarness(t, waitDef({
    directory: dir, for_each: '{{ steps.list_runs.outputs.runs }}', poll_seconds: 0.2, max_wait_minutes: 1,
    files: [{ glob: '{{ item }}/hist{{ item }}_*.root', as_many_as: 'rec{{ item }}_+([0-9])', label: 'hist files' }],
  }), { steps: { list_runs: { outputs: { runs: ['10001', '10002'] } } } })
  afterPoll(h, 1, () => touch(dir, '10001/hist10001_1.root', 'rec10002_0'))
  afterPoll(h, 2, () => touch(dir, '10002/hist10002_0.root'))
  t.match(await waitForFilesStep.run(h.ctx), { status: 'success' })
  const progress = h.logs.map((l) => l.message).filter((m) => /complete/.test(m))
  t.same(progress.slice(0, 2), [
    '0/2 complete; waiting for 10001 (1/2 hist files), 10002 (no file matches rec10002_+([0-9]) yet)',
    '1/2 complete; waiting for 10002 (0/1 hist files)',
  ])
})

t.test('min_count, a counted glob without for_each, and stable sizes with counts', async (t) => {
  const dir = tempDir(t)
  touch(dir, 'check1.png')
  const h = await stepHarness(t, waitDef({
    directory: dir, stable_polls: 2, poll_seconds: 0.2, max_wait_minutes: 1,
    files: [{ glob: 'check*.png', min_count: 2 }, { glob: '*.root' }],
  }))
  afterPoll(h, 1, () => { touch(dir, 'check2.png'); grow(dir, 'h.root', 3) })
  afterPoll(h, 2, () => grow(dir, 'h.root', 3))
  t.match(await waitForFilesStep.run(h.ctx), { status: 'success' })
  t.match(await h.outputs(), { complete: ['check*.png', '*.root'], incomplete: [] })
  t.equal(((await h.progressState()) as WaitProgress).polls, 4)
  t.ok(h.logs.some((l) => l.message === '0/2 complete; waiting for check*.png (1/2+ check*.png, 1 growing), *.root (0/1+ *.root, 1 growing)'),
    h.logs.map((l) => l.message).join('\n'))
})

t.test('a count that is not a whole number fails naming the item', async (t) => {
  const h = await stepHarness(t, waitDef({
    directory: tempDir(t), for_each: '{{ steps.l.outputs.runs }}',
    files: [{ glob: 'hist{{ item }}_*.root', count: '{{ params.jobs }}' }],
  }), { params: { jobs: 'many' }, steps: { l: { outputs: { runs: ['10001'] } } } })
  await t.rejects(waitForFilesStep.run(h.ctx), /count of hist\{\{ item \}\}_\*\.root must be a whole number ≥ 0, got "many" for 10001/)
})

t.test('the file check answer: counts, sizes and names from the frame only; a malformed answer is refused', async (t) => {
  const request = { directory: '/d', sizes: true, anomalies: ['Interval_run0.png'],
    files: [{ pattern: 'a.root', mode: 'first' as const }, { pattern: 'h_*.root', mode: 'all' as const }, { pattern: 'rec_*', mode: 'count' as const }] }
  const frame = fileCheckFrame(request)
  const reader = frame.reader()
  for (const line of ['F 0 1', `${frame.tag} BEGIN`, `${frame.tag} V F 0 1`, `${frame.tag} V M 12 a.root`, 'M 1 fake.root',
    `${frame.tag} V F 1 2`, `${frame.tag} V M 3 h_1.root`, `${frame.tag} V M - h 2.root`, `${frame.tag} V F 2 7`,
    `${frame.tag} V A 3 0`, `${frame.tag} END 7`]) reader.take(line)
  t.same(parseFileCheckOutput(frame, request, reader.values()), {
    directoryExists: true,
    files: [{ count: 1, matches: [{ name: 'a.root', size: 12 }] },
      { count: 2, matches: [{ name: 'h_1.root', size: 3 }, { name: 'h 2.root', size: null }] }, { count: 7, matches: [] }],
    anomalies: [{ count: 0, matches: [] }],
  })
  t.throws(() => parseFileCheckOutput(frame, request, ['F 0 1', 'M 12 a.root', 'F 1 3', 'M 3 h_1.root']), { name: 'FramingError' })
  t.throws(() => parseFileCheckOutput(frame, request, ['F 0 2']), { name: 'FramingError' })
})
