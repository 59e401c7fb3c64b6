import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const exec = (id: string, command: string, extra: Record<string, unknown> = {}) =>
  ({ id, display_name: id, type: 'exec', host: 'local', inputs: { command }, ...extra })
const file = (name: string) => `{{ vars.work }}/{{ task.id }}.${name}`

/**
 * Workflows for the server-process tests. Each step appends a line to a file named after the task, so the
 * test can count how many times each command ran. `{{ vars.work }}` comes from TOPUP_VAR_WORK.
 */
export const processWorkflows = {
  plain_flow: {
    parameters: { secs: { type: 'string', pattern: '^[0-9.]+$', default: '30' } },
    steps: [
      exec('first', `echo run >> ${file('first')}`),
      exec('long', `echo run >> ${file('long')}; echo $$ > ${file('pid')}; sleep {{ params.secs }}`),
      exec('last', `echo run >> ${file('last')}`),
    ],
    advice: [{ match: '^interrupted by restart during step long$', advice: 'it may have run in part: look at its file, then resume' }],
  },
  idem_flow: {
    steps: [
      // The first run hangs; a second run (after a restart) ends at once.
      exec('again', `f=${file('again')}; echo run >> "$f"; [ "$(wc -l < "$f")" -ge 2 ] || sleep 30`, { idempotent: true }),
    ],
  },
  wait_flow: {
    steps: [
      {
        id: 'wait', display_name: 'wait', type: 'wait_for_files', host: 'local',
        inputs: { directory: '{{ vars.work }}', files: ['ready-{{ task.id }}'], poll_seconds: 0.2, max_wait_minutes: 5 },
      },
      exec('after', `echo run >> ${file('after')}`),
    ],
  },
}

/** Writes the workflows into `<dir>/workflows` and makes `<dir>/work`; returns the env for the server. */
export function writeProcessWorkflows(dir: string): { WORKFLOWS_DIR: string; TOPUP_VAR_WORK: string } {
  const workflows = join(dir, 'workflows')
  const work = join(dir, 'work')
  mkdirSync(workflows, { recursive: true })
  mkdirSync(work, { recursive: true })
  for (const [name, body] of Object.entries(processWorkflows)) {
    writeFileSync(join(workflows, `${name}.json`), JSON.stringify({
      name, display_name: name, version: '1', vars: { work: '/nonexistent' }, ...body,
    }))
  }
  return { WORKFLOWS_DIR: workflows, TOPUP_VAR_WORK: work }
}
