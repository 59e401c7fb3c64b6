import t from 'tap'
import { startSshSite } from '../helpers/ssh-site.js'
import { runCollect, siteProvider } from '../remote/site-provider.js'
import { execStep } from '../../src/steps/exec.js'
import { waitForFilesStep, type WaitProgress } from '../../src/steps/wait-for-files.js'
import type { StepOf } from '../../src/workflows/definition.js'
import { stepHarness } from '../helpers/step-context.js'

// Through the jump to the target, whose login shell prints value-like noise on stdout and stderr ("0", "DONE",
// "out_1.root", a framed line of another call): the file check's counts and sizes and the exec output checks
// must come from the command alone.
const site = await startSshSite(t)
const { provider } = siteProvider(t, site)
const target = provider.transportFor('target')
const rel = `.topup/runs/checks-${process.pid}-${Date.now()}`
t.teardown(() => runCollect(provider, 'target', `rm -rf ~/${rel}`).catch(() => {}))

async function sh(command: string): Promise<void> {
  const result = await runCollect(provider, 'target', command)
  if (result.exitCode !== 0) throw new Error(`${command}: exit ${result.exitCode} ${result.stderr.join(' ')}`)
}

t.test('a counted, stable file wait: sizes and counts from the framed answer', async (t) => {
  const dir = `${rel}/wait`
  await sh(`mkdir -p ~/${dir}/85383 && cd ~/${dir} && touch rec85383_0 rec85383_1 rec85383_0.bosslog && printf 1234567 > 85383/hist85383_0.root`)
  const h = await stepHarness(t, {
    id: 'wait', display_name: 'Wait', type: 'wait_for_files',
    inputs: {
      directory: dir, for_each: '{{ steps.l.outputs.runs }}', stable_polls: 2, poll_seconds: 0.2, max_wait_minutes: 1,
      files: [{ glob: '{{ item }}/hist{{ item }}_*.root', as_many_as: 'rec{{ item }}_+([0-9])', label: 'hist files' }, 'out_1.root'],
    },
  } satisfies StepOf<'wait_for_files'>, { transport: target, steps: { l: { outputs: { runs: ['85383'] } } } })
  const save = h.ctx.progress.save
  let step = 0
  h.ctx.progress.save = async (state) => {
    await save(state)
    const polls = (state as WaitProgress).polls
    if (polls === 1 && step === 0) { step = 1; await sh(`cd ~/${dir} && printf 12 > 85383/hist85383_1.root`) }
    if (polls === 2 && step === 1) { step = 2; await sh(`cd ~/${dir} && printf 1234 > 85383/hist85383_1.root && touch out_1.root`) }
  }
  t.match(await waitForFilesStep.run(h.ctx), { status: 'success' })
  const saved = (await h.progressState()) as WaitProgress
  t.same(saved.sizes, { '85383/hist85383_0.root': [7, 4], '85383/hist85383_1.root': [4, 2], 'out_1.root': [0, 2] })
  t.equal(saved.polls, 4, 'the second hist file counted once its 4 bytes held; the "out_1.root" of the noise never counted')
  const lines = h.logs.map((l) => l.message).filter((m) => /complete/.test(m))
  t.same(lines, [
    '0/1 complete; waiting for 85383 (0/2 hist files, 1 growing)',
    '0/1 complete; waiting for 85383 (1/2 hist files, 1 growing)',
    '0/1 complete; waiting for 85383 (1/2 hist files, 1 growing; out_1.root growing)',
    '1/1 complete',
  ])
})

t.test('output checks see the command\'s lines, never the login shell\'s', async (t) => {
  const exec = async (inputs: StepOf<'exec'>['inputs']) => {
    const h = await stepHarness(t, { id: 'check', display_name: 'Check', type: 'exec', inputs }, { transport: target })
    return { h, outcome: await execStep.run(h.ctx) }
  }
  const quiet = await exec({ command: 'true', fail_on_output: true })
  t.match(quiet.outcome, { status: 'success' }, 'the noise on stdout and stderr is no output of the command')
  t.ok(quiet.h.logs.some((l) => l.source === 'stderr' && l.message === 'module: loaded 3 modules'), 'the noise stays in the log')
  t.notOk(quiet.h.logs.some((l) => /@@TOPUP-[0-9a-f]{16} BEGIN/.test(l.message)), 'the begin line is not logged')
  const noisyDone = await exec({ command: 'echo compared', fail_on: [{ pattern: '^(DONE|0|GONE)$' }] })
  t.match(noisyDone.outcome, { status: 'success' })
  const loud = await exec({ command: `echo 'run 85383: 3 events out of order' >&2`, fail_on_output: true })
  t.match(loud.outcome, { status: 'failed', retryable: false, error: /allows none: stderr line "run 85383: 3 events out of order"$/ })
  const matched = await exec({ command: `echo 'error: repeat 85383'`, fail_on: [{ pattern: 'error:\\s+(repeat|order|miss)' }] })
  t.match(matched.outcome, { status: 'failed', error: /stdout line "error: repeat 85383" matches fail_on/ })
  const detached = await exec({ command: 'true', fail_on_output: true, detached: true })
  t.match(detached.outcome, { status: 'success' }, 'a detached run\'s streams are framed already')
  const detachedLoud = await exec({ command: 'echo late >&2', fail_on_output: true, detached: true })
  t.match(detachedLoud.outcome, { status: 'failed', error: /stderr line "late"$/ })
})
