import t from 'tap'
import type { Test } from 'tap'
import { readFileSync } from 'node:fs'
import { taskOutputValues } from '../../src/db/output-repository.js'
import type { WorkflowDefinition } from '../../src/workflows/definition.js'
import { engineFixture } from '../engine/fixture.js'
import { startSshSite } from '../helpers/ssh-site.js'
import { runCollect, siteProvider } from '../remote/site-provider.js'

// workflows/topup_available_dates.json as shipped, run by the engine on beslogin (the SSH test site's target
// behind the jump, with login noise), its site variables pointing at folders made on the target.
const shipped = JSON.parse(readFileSync('workflows/topup_available_dates.json', 'utf8')) as WorkflowDefinition
// the shipped retry waits 30 s between attempts; a failure is asserted here, not the retry policy
const workflow = { ...shipped, steps: shipped.steps.map((step) => ({ ...step, retry: { count: 0 } })) }

const site = await startSshSite(t)
const { provider } = siteProvider(t, site, { extraHosts: { beslogin: site.hosts.target } })
const made = await runCollect(provider, 'beslogin', `d=~/.topup/dates-${process.pid}-${Date.now()} && mkdir -p "$d" && cd "$d" && `
  + 'mkdir -p raw/round18/{250624,250622,250625,250623,notaday,2506240} work/round18/DataValid/InjSigTimeCal/{250623,250622,250699,calibConst} '
  + 'raw/round20/{250702,250701} && pwd')
const root = made.stdout.at(-1)!
t.teardown(() => runCollect(provider, 'beslogin', `rm -rf -- '${root}'`).catch(() => {}))

async function run(t: Test, params: Record<string, unknown>) {
  const f = engineFixture(t, {
    transports: provider,
    config: { siteVars: { raw_data_dir: `${root}/raw/{{ params.round }}`, work_area: `${root}/work/{{ params.round }}/DataValid` } },
  })
  const task = await f.createTask(workflow as never, params)
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'], 60_000)
  return { done, outputs: (await taskOutputValues(f.db, task.id)).list_dates ?? {} }
}

t.test('all, processed and unprocessed dates with their counts and the earliest one left', async (t) => {
  const { done, outputs } = await run(t, {})
  t.equal(done.status, 'success', String(done.error_message))
  t.same(outputs, {
    all_dates: ['250622', '250623', '250624', '250625'], processed_dates: ['250622', '250623'],
    unprocessed_dates: ['250624', '250625'], total_count: '4', processed_count: '2', unprocessed_count: '2',
    next_date: '250624', warning: '', message: '4 days with raw data: 2 processed, 2 unprocessed, the earliest unprocessed is 250624',
  }, 'six-digit names only; nothing of the login noise')
})

t.test('sort_order desc reverses the lists; the earliest day left is still the earliest', async (t) => {
  const { outputs } = await run(t, { sort_order: 'desc' })
  t.match(outputs, {
    all_dates: ['250625', '250624', '250623', '250622'], processed_dates: ['250623', '250622'],
    unprocessed_dates: ['250625', '250624'], next_date: '250624',
  })
})

t.test('include_processed false lists the raw data only', async (t) => {
  const { done, outputs } = await run(t, { include_processed: false })
  t.equal(done.status, 'success')
  t.match(outputs, { all_dates: ['250622', '250623', '250624', '250625'], total_count: '4', processed_dates: [], unprocessed_dates: [], processed_count: '' })
})

t.test('InjSigTimeCal not listed is a warning; the raw-data folder not listed fails the step', async (t) => {
  const warned = await run(t, { round: 'round20' })
  t.equal(warned.done.status, 'success')
  t.match(warned.outputs, { all_dates: ['250701', '250702'], total_count: '2', processed_dates: [], warning: /InjSigTimeCal cannot be listed/ })
  const failed = await run(t, { round: 'round19' })
  t.equal(failed.done.status, 'failed')
  t.match(failed.done.error_message, /exit code 1/)
})
