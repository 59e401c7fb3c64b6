import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { listTaskArtifacts } from '../../src/db/artifact-repository.js'
import { taskOutputValues } from '../../src/db/output-repository.js'
import type { WorkflowDefinition } from '../../src/workflows/definition.js'
import { shellQuote as q } from '../../src/shell-quote.js'
import { engineFixture, type EngineFixture } from '../engine/fixture.js'
import { installDemoSite } from '../helpers/demo-site.js'
import { onThisMachine, throughTheJump, type SitePlace } from '../helpers/site-place.js'

// workflows/topup_standard.json as shipped, run by the real engine from 1.1 to step 7 on the simulated site
// (scripts/demo/site), its host beslogin being this machine and its site variables pointing at the site.
const workflow = JSON.parse(readFileSync('workflows/topup_standard.json', 'utf8')) as WorkflowDefinition
const DAY = '250624'

const lines = (text: string) => text.split('\n').filter((line) => line !== '')
const runsOf = (text: string) => lines(text).map((line) => line.split(/\s+/)[0])

t.test('the standard workflow runs stages 1 to 7 on the site, pausing at every review gate', (t) => chain(t, onThisMachine()))
t.test('the same through the jump host, under the login noise', async (t) => chain(t, await throughTheJump(t)))

async function chain(t: Test, place: SitePlace) {
  const site = await installDemoSite(t, { runs: 3, files: 2, rootPauseSeconds: 0.3 }, place.transport)
  const v = site.vars
  const [r1, r2, r3] = site.runs[DAY] as [string, string, string]
  await site.configure({ abnormal_runs: r3 })
  const f: EngineFixture = engineFixture(t, {
    transports: place.transports,
    config: {
      siteVars: {
        raw_data_dir: `${v.data_root}/{{ params.round }}`, work_area: v.work_area, env_script: v.env_script,
        hepjob_bin: v.hepjob_bin, container_shell: v.container_shell, container_image: v.container_image, poll_seconds: '0.2',
      },
    },
  })
  const task = await f.createTask(workflow as never, { date_param: DAY, submit_job: true, max_wait_minutes: 5 })
  const base = v.work_area
  const peak = `${base}/Determining_50Hz_cut/search_peak`
  const ets = `${base}/Determining_ETS_cut/ETS_cut`

  /** Waits until the task pauses at a review gate (or ends), and says where. */
  const gate = async () => {
    const row = await f.waitForStatus(task.id, ['paused', 'failed', 'success'], 120_000)
    if (row.status === 'paused') t.match(row.status_reason, /^waiting for review: \S/, `paused at ${row.current_step}, saying what to look at`)
    else t.equal(row.error_message, null, `${row.status} at ${row.current_step}`)
    return row
  }
  /** The names of the task's artifacts so far (a stage run again fetches its PDFs again, under new names). */
  const pdfs = async () => [...new Set((await listTaskArtifacts(f.db, task.id, { limit: 100, offset: 0 })).rows
    .flatMap((a) => a.output_path === null ? [] : [basename(a.output_path)]))].sort()

  await f.engine.start(task.id)
  t.match(await gate(), { status: 'paused', current_step: 'download_pdf' }, '1.4: the IST plots')
  t.same(runsOf(await site.read(`${v.job_dir}/interval.txt`)), [r1, r2, r3])
  // a top-up run (the chain's topup mode is future work): its interval set by hand, so stages 3 and 4 see windows
  await site.run(`cd -- ${q(v.job_dir)} && sed -i 's/^${r2} 15000000$/${r2} 20000000/' interval.txt`)

  await f.engine.resume(task.id)
  t.match(await gate(), { status: 'paused', current_step: 'download_hist_pdf' }, '2.5: the histograms')
  t.same((await site.list(`${base}/hist`)).filter((n) => n.startsWith('hist')), [r1, r2, r3].map((r) => `hist${r}.root`), 'merged into hist/')
  t.notOk((await site.list(`${base}/${DAY}/${r1}`)).some((n) => n.endsWith('.root')), 'the per-job files are gone')
  t.same(await pdfs(), ['mergedd_Hist.pdf', 'mergedd_IST.pdf'])

  await f.engine.resume(task.id)
  t.match(await gate(), { status: 'paused', current_step: 'download_shield_pdfs' }, '4.2: the shield calibration')
  const windows = await site.read(`${peak}/window.dat`)
  t.same(runsOf(windows), [r2], 'window.dat: the topup run once, the others dropped')
  t.same(await pdfs(), ['after_cut.pdf', 'before_cut.pdf', 'check.pdf', 'cut_detail.pdf', 'mergedd_Hist.pdf', 'mergedd_IST.pdf'])

  // the review loop of stage 4: stages 3 and 4 again add nothing to window.dat
  await f.engine.resume(task.id, { retry_from_step: 'submit_peak_jobs' })
  t.match(await gate(), { status: 'paused', current_step: 'download_shield_pdfs' }, '4.2 again')
  t.equal(await site.read(`${peak}/window.dat`), windows, 'a re-run of stage 3 adds no duplicate line')

  await f.engine.resume(task.id)
  t.match(await gate(), { status: 'paused', current_step: 'download_ets_pdf' }, '5.4: the ETS cut')
  const cuts = await site.read(`${ets}/ets_cut.txt`)
  t.same(runsOf(cuts), [r1, r2], 'ets_cut.txt: a line per run with a cut; the abnormal run has none')
  t.match((await taskOutputValues(f.db, task.id)).tidy_ets_cuts, { abnormal_runs: [r3] })
  await f.engine.resume(task.id, { retry_from_step: 'submit_ets_jobs' })
  t.match(await gate(), { status: 'paused', current_step: 'download_ets_pdf' }, '5.4 again')
  t.equal(await site.read(`${ets}/ets_cut.txt`), cuts, 'a re-run of stage 5 adds no duplicate line')

  await f.engine.resume(task.id)
  t.match(await gate(), { status: 'paused', current_step: 'download_check_pdf' }, '6.2: the final check')
  t.ok((await pdfs()).includes('mergedd_ETS_checkall.pdf'))
  t.ok((await pdfs()).includes('mergedd_ETS_raw.pdf'))

  await f.engine.resume(task.id)
  t.match(await gate(), { status: 'success' }, 'step 7 ends the day')
  t.same((await site.list(`${base}/hist`)).filter((n) => n.endsWith('.root')), [], 'reset.sh emptied hist/')
  t.same((await site.list(peak)).filter((n) => n.startsWith('shield_run')), [], 'and search_peak/')
  t.equal(await site.read(`${peak}/window.dat`), windows, 'the cumulative files stay')
  t.same(runsOf(await site.read(`${v.job_dir}/interval.txt`)), [r1, r2, r3], 'interval.txt: each run once')
}
