import t from 'tap'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StepDefinition, WorkflowDefinition } from '../../src/workflows/definition.js'
import { isTruthy, renderTemplate, resolveVars, type TemplateScope } from '../../src/workflows/template.js'
import { stepImplementation } from '../../src/steps/registry.js'
import type { StepOutcome } from '../../src/steps/step-type.js'
import type { Db } from '../../src/db/connect.js'
import { freshDatabase } from '../helpers/db.js'
import { stepHarness } from '../helpers/step-context.js'

/**
 * The standard workflow's own steps, as written in workflows/topup_standard.json, run on this machine against a
 * fake site folder: the site variables point at a temp work area, a stand-in ~/w720, a stand-in hep_sub and a
 * stand-in container whose `convert` writes a placeholder PDF. Only the real container and batch system are
 * stood in for; every command line is the shipped one, rendered by the real renderer and run by the real steps.
 */
const standard = JSON.parse(readFileSync('workflows/topup_standard.json', 'utf8')) as WorkflowDefinition
const DAY = '250624'
const GOOD_LOG = 'BOSS 7.2.0\nApplicationMgr       INFO Application Manager Finalized successfully\n' +
  'ApplicationMgr       INFO Application Manager Terminated successfully\n'

interface Site { root: string; jobDir: string; dayDir: string; vars: Record<string, string>; db: Db }
type Tap = { teardown(fn: () => unknown): void }

function script(file: string, text: string) {
  writeFileSync(file, text)
  chmodSync(file, 0o755)
}

function fakeSite(t: Tap, runs: string[]): Site {
  const root = mkdtempSync(join(tmpdir(), 'topup-site-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const params = { date_param: DAY, round: 'round18' }
  const vars = resolveVars(standard.vars ?? {}, {
    work_area: join(root, 'DataValid'),
    env_script: join(root, 'w720'),
    hepjob_bin: join(root, 'hepjob', 'bin'),
    container_shell: join(root, 'container', 'hep_container'),
  }, { params, task: { id: 1, user_id: 'tester' } })
  const jobDir = vars.job_dir!
  for (const dir of [jobDir, vars.hepjob_bin!, join(root, 'container', 'image-bin'), join(root, 'runs')]) mkdirSync(dir, { recursive: true })
  writeFileSync(join(root, 'w720'), 'export BOSS_VERSION=7.2.0\n')
  writeFileSync(join(jobDir, 'runs.txt'), runs.map((r) => `${r}\n`).join(''))
  script(join(vars.hepjob_bin!, 'hep_sub'), '#!/bin/bash\nn=$(( $(cat "$0.count" 2>/dev/null || echo 0) + 1 ))\n' +
    'echo "$n" > "$0.count"\necho "1 job(s) submitted to cluster $(( 60726900 + n ))."\n')
  // genJob.sh as domain.md describes it; it refuses to run without the BOSS environment of ~/w720
  script(join(jobDir, 'genJob.sh'), `#!/bin/bash
day=$1
[ "$BOSS_VERSION" = 7.2.0 ] || { echo "ERROR: BOSS environment not set up"; exit 1; }
if [ -e "$day" ]; then echo "ERROR: $day exists"; exit 0; fi
mkdir -- "$day"
n=0
while read -r run; do
  echo "// job options of run $run" > "$day/rec\${run}_1.txt"
  hep_sub -g physics "$day/rec\${run}_1.txt" || exit 1
  n=$((n + 1))
done < runs.txt
echo "Total = $n files"
echo DONE
`)
  script(join(root, 'container', 'hep_container'), '#!/bin/bash\n[ "$1" = shell ] && [ "$2" = SL6 ] || exit 2\n' +
    'PATH="$(dirname "$0")/image-bin:$PATH" exec bash -s\n')
  script(join(root, 'container', 'image-bin', 'convert'), '#!/bin/bash\nout=${!#}\n' +
    '{ echo "%PDF-1.4 stand-in"; for f in "${@:1:$#-1}"; do echo "page $f"; done; } > "$out"\n')
  return { root, jobDir, dayDir: vars.date_dir!, vars, db: freshDatabase(t).db }
}

/** What the cluster jobs leave behind: the five other files of each run (bosslog and Interval text as given). */
function finishJobs(site: Site, runs: string[], options: { log?: (run: string) => string; interval?: (run: string) => string } = {}) {
  const interval = options.interval ?? (() => 'interval_From_DB = 15000000\ninterval_before_sorting = 15000000\ninterval_after_sorting = 15000000\n')
  for (const run of runs) {
    writeFileSync(join(site.dayDir, `rec${run}_1.txt.bosserr`), '')
    writeFileSync(join(site.dayDir, `rec${run}_1.txt.bosslog`), options.log?.(run) ?? GOOD_LOG)
    writeFileSync(join(site.dayDir, `InjSigTime_00${run}_720.root`), `root ${run}`)
    writeFileSync(join(site.dayDir, `Interval_run${run}.png`), `png ${run}`)
    writeFileSync(join(site.dayDir, `Interval_run${run}.txt`), `run ${run}\n${interval(run)}`)
  }
}

/** Runs the named steps of the shipped workflow in order with the real step types, as the engine would. */
async function runSteps(t: Tap, site: Site, ids: string[], steps: TemplateScope['steps'] = {}) {
  const params = { date_param: DAY, round: 'round18', submit_job: true, max_wait_minutes: 25, check_ist: true }
  const task = { id: 1, user_id: 'tester' }
  const outcomes: Record<string, StepOutcome | 'skipped'> = {}
  const logs: Record<string, string[]> = {}
  for (const id of ids) {
    const step = standard.steps.find((s) => s.id === id) as StepDefinition
    if (step.when !== undefined && !isTruthy(renderTemplate(step.when, { params, vars: site.vars, steps, task }))) {
      outcomes[id] = 'skipped'
      continue
    }
    const h = await stepHarness(t, step, { db: site.db, params, vars: site.vars, steps, remoteRunsDir: join(site.root, 'runs') })
    outcomes[id] = await stepImplementation(step.type)!.run(h.ctx as never)
    logs[id] = h.logs.map((l) => l.message)
    steps[id] = { outputs: await h.outputs() }
  }
  return { outcomes, logs, steps }
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean)

t.test('a good day: submit, list, wait, job logs, move, IST check (twice), merge and download', async (t) => {
  const runs = ['85481', '85482', '85483']
  const site = fakeSite(t, runs)
  mkdirSync(site.dayDir)
  writeFileSync(join(site.dayDir, 'stale.txt'), 'from an earlier submission')

  const first = await runSteps(t, site, ['submit_jobs', 'list_runs'])
  t.match(first.outcomes, { submit_jobs: { status: 'success' }, list_runs: { status: 'success' } })
  t.same(first.steps.submit_jobs?.outputs, { cluster_ids: ['60726901', '60726902', '60726903'], total_files: '3' })
  t.notOk(existsSync(join(site.dayDir, 'stale.txt')), "the day's folder was removed before genJob.sh")
  t.same(first.steps.list_runs?.outputs, { runs })

  finishJobs(site, runs)
  writeFileSync(join(site.jobDir, 'interval.txt'), '85400 15000000\n85481 15000000\n')
  const rest = await runSteps(t, site,
    ['wait_for_job_files', 'check_job_logs', 'move_files', 'ist_check', 'merge_plots', 'download_pdf'], first.steps)
  for (const id of Object.keys(rest.outcomes)) t.match(rest.outcomes[id], { status: 'success' }, id)
  t.match(rest.steps.wait_for_job_files?.outputs, { total: 3, complete: runs, incomplete: [] })
  t.same(rest.steps.check_job_logs?.outputs, { ok_runs: runs })
  t.same(rest.logs.check_job_logs?.filter((l) => /^(OK|FAILED) /.test(l)), runs.map((r) => `OK ${r}`))

  t.same(readdirSync(join(site.jobDir, 'calibConst')).sort(), runs.map((r) => `InjSigTime_00${r}_720.root`))
  t.same(readdirSync(site.dayDir).filter((f) => f.endsWith('.root') || f.endsWith('.png')), [], 'nothing left behind')
  t.same(readdirSync(join(site.jobDir, 'Interval_plot')).sort(),
    [...runs.map((r) => `Interval_run${r}.png`), 'mergedd_IST.pdf'].sort())
  t.same(rest.steps.ist_check?.outputs, { checked_runs: runs })
  t.same(lines(join(site.jobDir, 'interval.txt')), ['85400 15000000', '85481 15000000', '85482 15000000', '85483 15000000'],
    'appended the runs not yet listed')

  const again = await runSteps(t, site, ['ist_check'])
  t.match(again.outcomes.ist_check, { status: 'success' })
  t.ok(again.logs.ist_check?.includes('IST CHECK PASSED (3 runs, 0 added to interval.txt)'))
  t.equal(lines(join(site.jobDir, 'interval.txt')).length, 4, 'a re-run adds no duplicate line')

  const pdf = rest.steps.merge_plots?.outputs.pdf_path as string
  t.equal(pdf, join(site.jobDir, 'Interval_plot', 'mergedd_IST.pdf'))
  t.same(lines(pdf), ['%PDF-1.4 stand-in', ...runs.map((r) => `page Interval_run${r}.png`)], 'convert ran inside the container')
  const artifacts = await site.db.selectFrom('step_outputs').select('output_name').where('output_type', '!=', 'value').execute()
  t.equal(artifacts.length, 1, 'the PDF was fetched')
})

t.test('a failed job and a wrong interval are caught, naming the runs', async (t) => {
  const runs = ['85481', '85482', '85483']
  const site = fakeSite(t, runs)
  const { steps } = await runSteps(t, site, ['submit_jobs', 'list_runs'])
  finishJobs(site, runs, {
    log: (run) => run === '85482' ? 'BOSS 7.2.0\nApplicationMgr       INFO Application Manager Finalized successfully\n' : GOOD_LOG,
    interval: (run) => run === '85483'
      ? 'interval_From_DB = 15000000\ninterval_before_sorting: 15000000\ninterval_after_sorting = 14000000\n'
      : run === '85481' ? 'interval_From_DB = 15000000\ninterval_after_sorting = 15000000\n'
        : 'interval_From_DB=15000000 interval_before_sorting=15000000 interval_after_sorting=15000000\n',
  })
  rmSync(join(site.dayDir, 'rec85481_1.txt.bosslog'))
  writeFileSync(join(site.jobDir, 'interval.txt'), '85400 15000000\n')
  const r = await runSteps(t, site, ['check_job_logs', 'move_files', 'ist_check'], steps)

  t.match(r.outcomes.check_job_logs, { status: 'failed' })
  const verdicts = r.logs.check_job_logs?.filter((l) => /^(OK|FAILED) /.test(l))
  t.match(verdicts, [/^FAILED 85481: rec85481_1\.txt\.bosslog is missing$/, /^FAILED 85482: .*does not end with/, /^OK 85483$/])
  t.ok(r.logs.check_job_logs?.includes('job(s) failed for run(s) 85481 85482: see their .bosslog and .bosserr'))

  t.match(r.outcomes.ist_check, { status: 'failed' })
  t.ok(r.logs.ist_check?.includes('BAD run 85481: interval_before_sorting=missing'))
  t.ok(r.logs.ist_check?.includes('OK run 85482'), 'key=value on one line is read too')
  t.ok(r.logs.ist_check?.includes('BAD run 85483: interval_after_sorting=14000000'))
  t.same(lines(join(site.jobDir, 'interval.txt')), ['85400 15000000'], 'interval.txt is unchanged')
})

t.test('DONE without a single submission fails the submit step', async (t) => {
  const site = fakeSite(t, [])
  const r = await runSteps(t, site, ['submit_jobs'])
  t.match(r.outcomes.submit_jobs, { status: 'failed', retryable: false, error: /required output\(s\) not found in stdout: cluster_ids/ })
  t.ok(r.logs.submit_jobs?.includes('DONE'))
})

t.test('without the BOSS environment genJob.sh fails and the step with it', async (t) => {
  const site = fakeSite(t, ['85481'])
  writeFileSync(join(site.root, 'w720'), '# sets nothing\n')
  const r = await runSteps(t, site, ['submit_jobs'])
  t.match(r.outcomes.submit_jobs, { status: 'failed', error: /exit code 1/ })
  t.ok(r.logs.submit_jobs?.includes('ERROR: BOSS environment not set up'))
})
