import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { StepDefinition, WorkflowDefinition } from '../../src/workflows/definition.js'
import { isTruthy, renderTemplate, resolveVars, type TemplateScope } from '../../src/workflows/template.js'
import { stepImplementation } from '../../src/steps/registry.js'
import type { StepOutcome } from '../../src/steps/step-type.js'
import { freshDatabase } from '../helpers/db.js'
import { stopLocalSimCluster } from '../helpers/sim-cluster.js'
import { stepHarness } from '../helpers/step-context.js'

const demo = JSON.parse(readFileSync('workflows/demo.json', 'utf8')) as WorkflowDefinition
process.env.DEMO_STEP_SECONDS = '0.05'

function defaults(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(demo.parameters ?? {}).map(([name, p]) => [name, p.default]))
}

/** Stops the stand-in cluster of a day folder (gen-job.sh makes it next to the day folders) if it still runs jobs. */
const stopCluster = (dayDir: string) => stopLocalSimCluster(join(dirname(dayDir), '.cluster'))

/** Runs the demo's steps in order with the real step types, as the engine would, stopping at a failure. */
async function runDemo(t: Tap, params: Record<string, unknown>) {
  const work = mkdtempSync(join(tmpdir(), 'topup-demo-'))
  const { db } = freshDatabase(t)
  const task = { id: 1, user_id: 'tester' }
  const vars = resolveVars(demo.vars ?? {}, { work_dir: work }, { params, task })
  t.teardown(async () => {
    await stopCluster(vars.date_dir!)
    rmSync(work, { recursive: true, force: true })
  })
  const steps: TemplateScope['steps'] = {}
  const outcomes: Record<string, StepOutcome | 'skipped'> = {}
  const logs: Record<string, string[]> = {}
  for (const step of demo.steps as StepDefinition[]) {
    if (step.when !== undefined && !isTruthy(renderTemplate(step.when, { params, vars, steps, task }))) {
      outcomes[step.id] = 'skipped'
      continue
    }
    const h = await stepHarness(t, step, { db, params, vars, steps })
    const outcome = await stepImplementation(step.type)!.run(h.ctx as never)
    outcomes[step.id] = outcome
    logs[step.id] = h.logs.map((l) => l.message)
    steps[step.id] = { outputs: await h.outputs() }
    if (outcome.status !== 'success') break
  }
  return { work, vars, steps, outcomes, logs }
}
type Tap = { teardown(fn: () => unknown): void }

t.test('the demo runs the first stage end to end', async (t) => {
  const { vars, steps, outcomes, logs } = await runDemo(t, defaults())
  for (const id of ['submit', 'list_runs', 'wait', 'check_job_logs', 'move', 'check', 'merge', 'fetch_pdf']) t.match(outcomes[id], { status: 'success' }, id)
  t.same(steps.submit?.outputs, { cluster_ids: ['60726901', '60726902', '60726903', '60726904'], total_files: '4' })
  const runs = steps.list_runs?.outputs.runs as string[]
  t.same(runs, ['85481', '85482', '85483', '85484'])
  t.match(steps.wait?.outputs, { total: 4, complete: runs, incomplete: [] })
  t.same(steps.check_job_logs?.outputs, { ok_runs: runs }, 'every simulated job log ends successfully')
  t.ok(logs.submit?.includes('DONE'))

  const day = vars.date_dir!
  const shared = dirname(day)
  for (const run of runs) {
    for (const f of [`rec${run}_1.txt`, `rec${run}_1.txt.bosserr`, `rec${run}_1.txt.bosslog`, `Interval_run${run}.txt`]) {
      t.ok(existsSync(join(day, f)), f)
    }
    t.ok(existsSync(join(shared, 'calibConst', `InjSigTime_00${run}_720.root`)), 'in InjSigTimeCal/calibConst, shared by every day')
    t.ok(existsSync(join(shared, 'Interval_plot', `Interval_run${run}.png`)))
    t.match(readFileSync(join(day, `rec${run}_1.txt.bosslog`), 'utf8'),
      /Application Manager Finalized successfully\n.*Application Manager Terminated successfully\n$/)
  }
  t.equal(readFileSync(join(shared, 'interval.txt'), 'utf8'), runs.map((r) => `${r} 15000000\n`).join(''))
  t.same(steps.check?.outputs, { checked_runs: runs })

  const pdfPath = steps.merge?.outputs.pdf as string
  t.equal(pdfPath, join(shared, 'Interval_plot', 'mergedd_IST.pdf'))
  const pdf = readFileSync(pdfPath)
  t.equal(pdf.subarray(0, 8).toString(), '%PDF-1.4')
  t.match(pdf.toString('latin1'), /\/Type \/Pages \/Kids \[[^\]]+\] \/Count 4 >>/)
  const text = pdf.toString('latin1')
  const xrefAt = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1])
  t.equal(text.slice(xrefAt, xrefAt + 4), 'xref')
  const offsets = [...text.slice(xrefAt).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]))
  offsets.forEach((offset, i) => t.equal(text.slice(offset, offset + `${i + 1} 0 obj`.length), `${i + 1} 0 obj`))
})

t.test('abnormal data: Interval_run0.png stops the wait at once', async (t) => {
  const { outcomes, steps } = await runDemo(t, { ...defaults(), runs: 2, simulate_anomaly: true })
  t.match(outcomes.wait, { status: 'failed', retryable: false, error: /anomaly file Interval_run0\.png appeared/ })
  t.equal(outcomes.move, undefined, 'nothing after it ran')
  t.match(steps.wait?.outputs, { total: 2 })
})

t.test('the stand-in genJob.sh refuses an existing day without DONE', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'topup-demo-'))
  t.teardown(async () => { await stopCluster(join(work, '250624')); rmSync(work, { recursive: true, force: true }) })
  const step: StepDefinition = {
    id: 'gen', display_name: 'genJob', type: 'exec',
    inputs: { command: 'cd -- {{ vars.work }} && bash "$OLDPWD/scripts/demo/gen-job.sh" 250624 1', require_marker: '^DONE$' },
  }
  const first = await stepHarness(t, step, { vars: { work } })
  t.match(await stepImplementation('exec')!.run(first.ctx as never), { status: 'success' })
  const second = await stepHarness(t, step, { vars: { work } })
  t.match(await stepImplementation('exec')!.run(second.ctx as never), { status: 'failed', error: /required marker/ })
  t.ok(second.logs.some((l) => l.message === 'ERROR: 250624 exists'))
})
