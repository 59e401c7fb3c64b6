import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { taskOutputValues } from '../../src/db/output-repository.js'
import { engineFixture, execStep } from '../engine/fixture.js'

// A merge that may legitimately produce nothing (stage 4.2 in non-topup mode: no cut plots, so no PDF): the
// merge command itself says "nothing to merge" and exits 0, the download takes `min_files: 0`. A failing merge
// and a folder that is not there still fail the task. No exec input is needed for it: the command's exit code
// stays the judge.
const merge = `shopt -s nullglob; pngs=(*cut_detail.png)
if [ \${#pngs[@]} -eq 0 ]; then echo 'no cut plots: nothing to merge (non-topup mode)'; exit 0; fi
cat -- "\${pngs[@]}" > cut_detail.pdf && echo "PDF $PWD/cut_detail.pdf"`

function workflow(dir: string, fetchFrom = dir) {
  return {
    vars: { dir, fetch: fetchFrom },
    steps: [
      execStep('merge', merge, { inputs: { command: merge, cwd: '{{ vars.dir }}' } }),
      { id: 'fetch', display_name: 'fetch', type: 'download', host: 'local', inputs: { path: '{{ vars.fetch }}/*.pdf', min_files: 0 } },
    ],
  }
}

async function run(t: Tap, dir: string, fetchFrom?: string) {
  const f = engineFixture(t)
  const task = await f.createTask(workflow(dir, fetchFrom))
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed', 'paused'])
  const logs = (await f.db.selectFrom('task_logs').select('message').where('task_id', '=', task.id).orderBy('seq').execute()).map((l) => l.message)
  return { done, logs, outputs: await taskOutputValues(f.db, task.id) }
}
type Tap = Parameters<typeof engineFixture>[0]

function folder(t: Tap): string {
  const dir = mkdtempSync(join(tmpdir(), 'topup-merge-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('nothing to merge: the task succeeds, the download records count 0 and says so', async (t) => {
  const { done, logs, outputs } = await run(t, folder(t))
  t.equal(done.status, 'success', done.error_message ?? '')
  t.same(outputs.fetch, { files: [], count: 0, total_bytes: 0 })
  t.ok(logs.includes('no cut plots: nothing to merge (non-topup mode)'))
  t.ok(logs.includes('nothing to download: min_files is 0, so no match is a success with count 0'))
})

t.test('plots to merge: the PDF is fetched', async (t) => {
  const dir = folder(t)
  writeFileSync(join(dir, 'run85383_cut_detail.png'), 'png')
  const { done, outputs } = await run(t, dir)
  t.equal(done.status, 'success', done.error_message ?? '')
  t.same(outputs.fetch, { files: ['cut_detail.pdf'], count: 1, total_bytes: 3 })
})

t.test('a merge that fails still fails the task', async (t) => {
  const dir = folder(t)
  mkdirSync(join(dir, 'run85383_cut_detail.png')) // cat cannot read a folder
  const { done } = await run(t, dir)
  t.equal(done.status, 'failed')
  t.match(done.error_message, /^step merge failed: command exit code 1/)
})

t.test('a folder that is not there fails the download, whatever min_files says', async (t) => {
  const dir = folder(t)
  const { done } = await run(t, dir, join(dir, 'checkShieldCalib'))
  t.equal(done.status, 'failed')
  t.equal(done.error_message, `step fetch failed: the folder ${join(dir, 'checkShieldCalib')} of ${join(dir, 'checkShieldCalib')}/*.pdf does not exist on local`)
})
