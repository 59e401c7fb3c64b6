import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { signToken } from '../../src/auth/token.js'
import { SECRET } from '../helpers/server-process.js'

const exec = (id: string, display_name: string, command: string, extra: Record<string, unknown> = {}) =>
  ({ id, display_name, type: 'exec', host: 'local', inputs: { command }, ...extra })

/**
 * `page_flow`, a workflow for the page's tests: step 1 prints coloured lines, HTML-looking text and 400
 * numbered lines, then pauses for review; step 2 fails once and succeeds on its retry; step 3 runs until the
 * test creates `<work>/<task id>.go`.
 */
const pageFlow = {
  name: 'page_flow', display_name: 'Page flow', version: '1', vars: { work: '/nonexistent' },
  steps: [
    exec('colours', '1 Colours', [
      // the words are put together by the shell, so that the command's own log line does not hold them
      String.raw`r=red; printf "\033[31m$r alert\033[0m then plain\n"`,
      String.raw`printf '\033[1;32mbold green\033[0m\n'`,
      `printf '<img src=x on%s="document.title=1">not html\\n' error`,
      'for i in $(seq 1 400); do echo "numbered line $i"; done',
      'echo "needle at the end"',
    ].join('; '), { pause_after: true, review: 'the colours' }),
    exec('flaky', '2 Flaky', 'f={{ vars.work }}/{{ task.id }}.flaky; if [ -e "$f" ]; then echo second try works; '
      + 'else touch "$f"; echo first try fails >&2; exit 1; fi', { retry: { count: 1, delay_seconds: 0.3 } }),
    exec('slow', '3 Slow', 'while [ ! -e {{ vars.work }}/{{ task.id }}.go ]; do sleep 0.1; done; echo went', { timeout_minutes: 5 }),
  ],
}

/** Writes page_flow into `<dir>/workflows` and makes `<dir>/work`; returns the env for the server. */
export function writePageWorkflow(dir: string): { WORKFLOWS_DIR: string; TOPUP_VAR_WORK: string } {
  const workflows = join(dir, 'workflows')
  const work = join(dir, 'work')
  mkdirSync(workflows, { recursive: true })
  mkdirSync(work, { recursive: true })
  writeFileSync(join(workflows, 'page_flow.json'), JSON.stringify(pageFlow))
  return { WORKFLOWS_DIR: workflows, TOPUP_VAR_WORK: work }
}

/** Signs the page in as `user` through a link, as `npm run token -- --link` makes it. */
export async function signIn(page: Page, base: string, user = 'alice', role: 'user' | 'admin' = 'user'): Promise<void> {
  await page.goto(`${base}/#token=${signToken(SECRET, { userId: user, role }, 3600)}`)
  await page.getByTestId('who').waitFor()
}
