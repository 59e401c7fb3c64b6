import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Page } from 'playwright-core'
import { signToken } from '../../src/auth/token.js'
import { SECRET, startServerProcess } from '../helpers/server-process.js'
import { openBrowser } from './browser.js'

/** The page and /docs work under the server's content security policy: nothing is blocked while they are used. */

/** Every CSP violation the page reports, from its first script on (before the page's own). */
async function recordViolations(page: Page): Promise<string[]> {
  const violations: string[] = []
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()) })
  await page.exposeFunction('reportViolation', (text: string) => { violations.push(text) })
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { reportViolation(text: string): void }).reportViolation(`${e.violatedDirective} blocked ${e.blockedURI}`)
    })
  })
  return violations
}

t.test('the page and the API documentation under the content security policy', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-csp-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startServerProcess(t, dir, { TOPUP_VAR_WORK_DIR: join(dir, 'work'), DEMO_STEP_SECONDS: '0.1' })
  const created = await server.api<{ id: number }>('POST', '/api/tasks', {
    workflow_name: 'demo_topup_first_stage', task_name: 'csp check', parameters: { date_param: '250624', runs: 2 }, start: true,
  })
  t.equal(created.status, 201)
  await server.waitForStatus(created.body.id, ['paused', 'success', 'failed'])

  const context = await openBrowser(t)
  const page = await context.newPage()
  const violations = await recordViolations(page)
  const response = await page.goto(`${server.base}/#token=${signToken(SECRET, { userId: 'alice', role: 'user' }, 3600)}`)
  t.match(response?.headers()['content-security-policy'], /script-src 'self' 'sha256-/, 'the page is served with the policy')
  await page.getByTestId('who').getByText('Signed in as alice').waitFor()
  const row = page.locator(`tr[data-task-id="${created.body.id}"]`)
  await row.getByText('csp check').waitFor()
  await row.getByRole('link', { name: 'csp check' }).click()
  await page.locator('.task-header').waitFor()
  await page.getByTestId('log').locator('[data-seq]').first().waitFor()
  const fill = await page.locator('.progress-fill').first().evaluate((el) => (el as HTMLElement).style.width)
  t.match(fill, /%$/, 'styles set by the page\'s scripts apply (the progress bar has its width)')
  t.same(violations, [], 'the page, its import map, modules, styles, API calls and WebSocket: nothing blocked')

  const docs = await context.newPage()
  const docsViolations = await recordViolations(docs)
  await docs.goto(`${server.base}/docs`)
  await docs.locator('.opblock').first().waitFor()
  t.ok(await docs.locator('.opblock').count() > 10, 'Swagger UI renders the operations')
  t.same(docsViolations, [], '/docs: nothing blocked')
})
