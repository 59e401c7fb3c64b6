import t, { type Test } from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TaskEvent } from '../../src/domain.js'
import { validateWorkflow } from '../../src/workflows/loader.js'
import { engineFixture, execStep } from '../engine/fixture.js'

// A wait for two files (one with a space in its name), a download of one of them, and a command using every
// output the two steps record by themselves; none of the steps declares an output.
const USES_ALL = "printf '[%s]\\n' {{ steps.w.outputs.complete }}\n" +
  "printf '<%s>' none {{ steps.w.outputs.incomplete }} left; echo\n" +
  'echo total {{ steps.w.outputs.total }} waited {{ steps.w.outputs.waited_seconds }}\n' +
  'echo got {{ steps.d.outputs.files }} count {{ steps.d.outputs.count }} bytes {{ steps.d.outputs.total_bytes }}'

function builtInFlow(folder: string, command = USES_ALL, download: Record<string, unknown> = {}) {
  return {
    name: 'built_ins', display_name: 'Built-in outputs', version: '1',
    steps: [
      {
        id: 'w', display_name: 'wait', type: 'wait_for_files', host: 'local',
        inputs: { directory: folder, files: ['a.done', 'b done.txt'], poll_seconds: 0.2, max_wait_minutes: 1 },
      },
      { id: 'd', display_name: 'download', type: 'download', host: 'local', inputs: { path: `${folder}/*.done` }, ...download },
      execStep('e', command),
    ],
  }
}

t.test('the outputs a wait and a download record by themselves may be referenced by later steps', async (t) => {
  t.same(validateWorkflow(builtInFlow('/data')), [])
})

t.test('a name that is no built-in output is still refused, with its JSON path and what the step has', async (t) => {
  t.same(validateWorkflow(builtInFlow('/data', 'echo {{ steps.w.outputs.completed }}')), [
    '/steps/2/inputs/command: {{ steps.w.outputs.completed }}: step "w" has no output "completed" ' +
      '(it has: total, complete, incomplete, waited_seconds)',
  ])
  t.same(validateWorkflow(builtInFlow('/data', 'echo {{ steps.d.outputs.size }}')), [
    '/steps/2/inputs/command: {{ steps.d.outputs.size }}: step "d" has no output "size" (it has: files, count, total_bytes)',
  ])
  const afterExec = builtInFlow('/data', 'echo {{ steps.d.outputs.files }}')
  afterExec.steps.splice(1, 1, execStep('d', 'true') as typeof afterExec.steps[number])
  t.same(validateWorkflow(afterExec), [
    '/steps/2/inputs/command: {{ steps.d.outputs.files }}: step "d" has no output "files" (it declares none)',
  ], 'an exec records nothing by itself')
})

function folderWithFiles(dir: string): string {
  const folder = join(dir, 'incoming')
  mkdirSync(folder)
  writeFileSync(join(folder, 'a.done'), 'hello\n')
  writeFileSync(join(folder, 'b done.txt'), '')
  return folder
}

const logLines = (events: TaskEvent[], stepExecution: number) =>
  events.flatMap((e) => e.type === 'log' && e.data.execution_id === stepExecution && e.data.source === 'stdout' ? [e.data.message] : [])

async function lastExecutionId(f: ReturnType<typeof engineFixture>, taskId: number, step: string): Promise<number> {
  const row = await f.db.selectFrom('task_executions').select('id').where('task_id', '=', taskId)
    .where('step_name', '=', step).orderBy('id', 'desc').executeTakeFirstOrThrow()
  return row.id
}

/** What the command rendered from the built-in outputs: a list is one quoted word per item, an empty list none. */
function checkRendered(t: Test, lines: string[]) {
  t.same(lines.slice(0, 3), ['[a.done]', '[b done.txt]', '<none><left>'])
  t.equal(lines[3]?.replace(/waited [0-9.]+$/, 'waited N'), 'total 2 waited N')
  t.equal(lines[4], 'got a.done count 1 bytes 6')
}

t.test('a real run: the wait completes on a local folder and a later command gets its outputs', async (t) => {
  const f = engineFixture(t)
  const workflow = builtInFlow(folderWithFiles(f.dir))
  t.same(validateWorkflow(workflow), [], 'the workflow run here loads')
  const task = await f.createTask(workflow)
  await f.engine.start(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'])
  t.equal(done.status, 'success', done.error_message ?? '')
  const events = await f.events(task.id)
  const recorded = Object.fromEntries(events.flatMap((e) =>
    e.type === 'step.output' && e.data.step_id === 'w' ? [[e.data.name, e.data.value]] : []))
  t.match(recorded, { total: 2, complete: ['a.done', 'b done.txt'], incomplete: [], waited_seconds: Number })
  checkRendered(t, logLines(events, await lastExecutionId(f, task.id, 'e')))
})

t.test('after a pause the outputs are read back from the database with their types and render the same', async (t) => {
  const f = engineFixture(t)
  const task = await f.createTask(builtInFlow(folderWithFiles(f.dir), USES_ALL, { pause_after: true }))
  await f.engine.start(task.id)
  const paused = await f.waitForStatus(task.id, ['paused', 'failed'])
  t.equal(paused.resume_from_step, 'e', paused.error_message ?? '')
  await f.engine.resume(task.id)
  const done = await f.waitForStatus(task.id, ['success', 'failed'])
  t.equal(done.status, 'success', done.error_message ?? '')
  checkRendered(t, logLines(await f.events(task.id), await lastExecutionId(f, task.id, 'e')))
})
