import t from 'tap'
import { LOGIN_NOISE, startSshSite } from '../helpers/ssh-site.js'
import { siteProvider, runCollect } from './site-provider.js'
import { runDetached, type DetachedProgress } from '../../src/remote/detached.js'
import { listRemoteFiles } from '../../src/steps/remote-glob.js'
import { waitForFilesStep } from '../../src/steps/wait-for-files.js'
import { execStep } from '../../src/steps/exec.js'
import { stepHarness } from '../helpers/step-context.js'

// The test site's login shells print lines that look like values ("0", "GONE", "out_1.root", a framed line of
// another call, a job id) on stdout and stderr of every command. Each value the service reads back must be the
// command's own: read from its frame, never from the noise.
const site = await startSshSite(t)
const { provider } = siteProvider(t, site)
const target = provider.transportFor('target')
const runId = `${process.pid}-${Date.now()}`
const base = `~/.topup/runs/noise-${runId}`
t.teardown(() => runCollect(provider, 'target', `rm -rf ${base}`).catch(() => {}))

t.test('the noise reaches every command channel, on stdout and stderr', async (t) => {
  const stdout: string[] = []
  const stderr: string[] = []
  await target.run({ command: 'true', signal: AbortSignal.timeout(30_000), onLine: (s, l) => (s === 'stdout' ? stdout : stderr).push(l) })
  t.ok(stdout.includes('0') && stdout.includes('GONE') && stdout.includes('out_1.root'), stdout.join(' | '))
  t.ok(stderr.includes(LOGIN_NOISE.stderr[0]!), stderr.join(' | '))
})

t.test('a detached run: its own exit code and lines, offsets that count its files only', async (t) => {
  const lines: string[] = []
  let progress: DetachedProgress = { stdout: -1, stderr: -1 }
  const result = await runDetached(target, {
    dir: `${base}/exit`, signal: AbortSignal.timeout(60_000),
    command: 'echo "行 1"; echo two >&2; exit 5',
    onLine: (stream, line) => lines.push(`${stream}:${line}`),
    onProgress: (p) => { progress = p },
  })
  t.equal(result.exitCode, 5, 'not the "0" the login shell printed')
  t.same(lines.sort(), ['stderr:two', 'stdout:行 1'])
  t.same(progress, { stdout: Buffer.byteLength('行 1\n'), stderr: 4 }, 'noise bytes are not counted as the files\' bytes')
  t.ok(result.handle.pgid > 1 && /^\d+$/.test(result.handle.startTime))
})

t.test('a process group answer is the script\'s, not the "GONE" the login shell printed', async (t) => {
  const ac = new AbortController()
  let pgid = 0
  const running = target.run({
    command: 'echo started; sleep 30', signal: ac.signal,
    onStart: (info) => { pgid = info.pgid },
    onLine: (_s, line) => { if (line === 'started') started() },
  }).catch(() => null)
  let started!: () => void
  await new Promise<void>((resolve) => { started = resolve })
  t.ok(pgid > 1 && pgid !== 7, 'the pgid is the framed one, not the noise line\'s 7')
  t.equal(await target.killProcessGroup(pgid, 'CHECK'), 'running')
  ac.abort('cancel')
  await running
  t.equal(await target.killProcessGroup(pgid, 'CHECK'), 'gone')
})

t.test('a listing and a file check take no file name from the noise', async (t) => {
  await runCollect(provider, 'target', `mkdir -p ${base}/empty`)
  const listing = await listRemoteFiles(target, `${base}/empty/*`, AbortSignal.timeout(30_000))
  t.same(listing, { files: [], skipped: 0 })
  const h = await stepHarness(t, {
    id: 'wait', display_name: 'Wait', type: 'wait_for_files',
    inputs: { directory: `${base.replace('~/', '')}/empty`, files: ['out_1.root', '0'], poll_seconds: 0.2, max_wait_minutes: 0.005 },
  }, { transport: target })
  const outcome = await waitForFilesStep.run(h.ctx)
  t.match(outcome, { status: 'failed', error: /gave up/ }, '"out_1.root" and "0" on stdout are not files in the folder')
  t.match(await h.outputs(), { complete: [], incomplete: ['out_1.root', '0'] })
})

t.test('an exec step logs the login noise but takes no output or marker from it', async (t) => {
  const exec = async (inputs: { command: string; require_marker?: string }, outputs?: Record<string, { pattern: string; all?: boolean }>) => {
    const h = await stepHarness(t, { id: 'submit', display_name: 'Submit', type: 'exec', inputs, ...(outputs ? { outputs } : {}) },
      { transport: target })
    return { h, outcome: await execStep.run(h.ctx) }
  }
  const captured = await exec({ command: 'echo 42; echo "1 job(s) submitted to cluster 456."' },
    { number: { pattern: '^(\\d+)$' }, cluster_ids: { pattern: 'submitted to cluster (\\d+)', all: true } })
  t.match(captured.outcome, { status: 'success', summary: /2 stdout line/ })
  t.same(await captured.h.outputs(), { number: '42', cluster_ids: ['456'] }, 'not the "0" nor the cluster 123 of the noise')
  t.ok(captured.h.logs.some((l) => l.message === 'You have 2 new mail messages'), 'the noise stays in the log')
  const marker = await exec({ command: 'echo hi', require_marker: '^GONE$' })
  t.match(marker.outcome, { status: 'failed', error: /required marker \/\^GONE\$\/ never appeared/ }, 'the "GONE" the login shell printed is no marker')
})
