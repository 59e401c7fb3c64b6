import t from 'tap'
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { listTaskArtifacts } from '../../src/db/artifact-repository.js'
import type { WorkflowDefinition } from '../../src/workflows/definition.js'
import { engineFixture } from '../engine/fixture.js'
import { installDemoSite } from '../helpers/demo-site.js'
import { onThisMachine } from '../helpers/site-place.js'

// `submit_job: false` re-uses what is on disk at every stage: a day processed up to the final check and cancelled
// there is run again without a single new cluster job, through every stage and review gate, and the cumulative
// files get no line twice.
const workflow = JSON.parse(readFileSync('workflows/topup_standard.json', 'utf8')) as WorkflowDefinition
const DAY = '250624'
const GATES = ['download_pdf', 'download_hist_pdf', 'download_shield_pdfs', 'download_ets_pdf', 'download_check_pdf']

t.test('submit_job false runs stages 1 to 7 on the files already there, submitting nothing', async (t) => {
  const place = onThisMachine()
  const site = await installDemoSite(t, { runs: 3, files: 2, rootPauseSeconds: 0.2 }, place.transport)
  const v = site.vars
  const [, r2] = site.runs[DAY] as [string, string, string]
  const f = engineFixture(t, {
    transports: place.transports,
    config: {
      siteVars: {
        raw_data_dir: `${v.data_root}/{{ params.round }}`, work_area: v.work_area, env_script: v.env_script,
        hepjob_bin: v.hepjob_bin, container_shell: v.container_shell, container_image: v.container_image, poll_seconds: '0.2',
      },
    },
  })
  const cumulative = [`${v.job_dir}/interval.txt`, `${v.work_area}/Determining_50Hz_cut/search_peak/window.dat`,
    `${v.work_area}/Determining_ETS_cut/ETS_cut/ets_cut.txt`]
  const read = () => Promise.all(cumulative.map((file) => site.read(file)))

  /** Runs the task from its start to `last` (a gate) or to its end, resuming at every gate; returns where it stopped. */
  const runTo = async (id: number, last: string | null) => {
    const seen: string[] = []
    for (;;) {
      const row = await f.waitForStatus(id, ['paused', 'failed', 'success'], 120_000)
      if (row.status !== 'paused') {
        t.equal(row.error_message, null, `${row.status} at ${row.current_step}`)
        return { status: row.status, gates: seen }
      }
      t.match(row.status_reason, /^waiting for review: \S/)
      seen.push(row.current_step!)
      if (row.current_step === last) return { status: row.status, gates: seen }
      if (row.current_step === 'download_pdf' && seen.length === 1 && last !== null) {
        // a top-up run, so that stages 3 and 4 have a window to find
        await site.run(`sed -i 's/^${r2} 15000000$/${r2} 20000000/' ${v.job_dir}/interval.txt`)
      }
      await f.engine.resume(id)
    }
  }

  const first = await f.createTask(workflow as never, { date_param: DAY, submit_job: true, max_wait_minutes: 5 })
  await f.engine.start(first.id)
  t.same(await runTo(first.id, 'download_check_pdf'), { status: 'paused', gates: GATES }, 'the first run, to the final check')
  await f.engine.cancel(first.id)
  await f.waitForStatus(first.id, 'cancelled', 30_000)
  const jobs = (await site.cluster.jobs()).size
  const files = await read()
  t.ok(files.every((text) => text.trim() !== ''), 'the cumulative files have their lines')

  const again = await f.createTask(workflow as never, { date_param: DAY, submit_job: false, max_wait_minutes: 5 })
  await f.engine.start(again.id)
  t.same(await runTo(again.id, null), { status: 'success', gates: GATES }, 'every stage and gate again, to step 7')
  t.equal((await site.cluster.jobs()).size, jobs, 'no job submitted')
  t.same(await read(), files, 'no cumulative line added twice')
  const skipped = (await f.events(again.id)).flatMap((e) => e.type === 'step.finished' && e.data.status === 'skipped' ? [e.data.step_id] : [])
  t.same(skipped.filter((id) => id.startsWith('submit_')),
    ['submit_jobs', 'submit_hist_jobs', 'submit_peak_jobs', 'submit_shield_jobs', 'submit_ets_jobs', 'submit_check_jobs'],
    'every submission skipped')
  const names = (await listTaskArtifacts(f.db, again.id, { limit: 100, offset: 0 })).rows.flatMap((a) => a.output_path === null ? [] : [basename(a.output_path)])
  t.ok(['mergedd_IST.pdf', 'mergedd_Hist.pdf', 'mergedd_ETS_raw.pdf', 'mergedd_ETS_checkall.pdf'].every((n) => names.includes(n)),
    `each stage's PDF made again from the files on disk (${names.join(', ')})`)
})
