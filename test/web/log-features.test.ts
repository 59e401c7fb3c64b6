import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startServerProcess } from '../helpers/server-process.js'
import { openBrowser, screenshot } from './browser.js'
import { signIn, writePageWorkflow } from './page-fixture.js'

t.test('the live log: ANSI colours as text, search with highlight, a section that folds, a link to a line, copy', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'topup-web-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const server = await startServerProcess(t, dir, writePageWorkflow(dir))
  const created = await server.api<{ id: number }>('POST', '/api/tasks', { workflow_name: 'page_flow', task_name: 'log', start: true })
  const id = created.body.id
  await server.waitForStatus(id, ['paused'])
  const logs = await server.api<{ total: number; items: { seq: number; message: string; execution_id: number | null }[] }>(
    'GET', `/api/tasks/${id}/logs?limit=1000`)

  const context = await openBrowser(t)
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  const page = await context.newPage()
  await signIn(page, server.base)
  await page.goto(`${server.base}/#/tasks/${id}`)
  const log = page.getByTestId('log')
  await page.locator(`[data-testid="log"][data-last-seq="${logs.body.items.at(-1)!.seq}"]`).waitFor()
  t.equal(await log.getAttribute('data-lines'), String(logs.body.total))

  // Colours: the escape codes are gone, the colour is there; text that looks like HTML stays text.
  const red = page.getByTestId('log-search')
  await red.fill('red alert')
  await page.locator('[data-testid="log-matches"][data-matches="1"]').waitFor()
  const hit = log.locator('.current-match mark')
  t.equal(await hit.innerText(), 'red alert')
  t.equal(await hit.evaluate((e) => getComputedStyle(e).color), 'rgb(187, 0, 0)', 'ANSI red')
  t.equal(await log.locator('.current-match .log-text').innerText(), 'red alert then plain', 'no escape code shows')
  t.notMatch(await log.innerText(), /\x1b/)
  await red.fill('onerror')
  await page.locator('[data-testid="log-matches"][data-matches="1"]').waitFor()
  t.equal(await log.locator('img').count(), 0, 'a logged <img> is text, not an element')
  t.equal(await page.title(), 'Topup')
  t.match(await log.locator('.current-match').innerText(), /<img src=x onerror=/)

  // Search across the whole log, also rows far out of view: every hit counted, Enter steps to the next.
  await red.fill('numbered line 3')
  // 3, 30–39, 300–399
  await page.locator('[data-testid="log-matches"][data-matches="111"]').waitFor()
  t.equal(await page.getByTestId('log-matches').innerText(), '1 of 111')
  await red.press('Enter')
  await page.getByTestId('log-matches').getByText('2 of 111').waitFor()
  t.equal(await log.locator('.current-match .log-text').innerText(), 'numbered line 30')
  t.equal(await page.getByTestId('log-follow').isChecked(), false, 'a jump to a hit stops following')
  await screenshot(page, 'log-search')

  // The step's section folds to its heading and opens again.
  await log.evaluate((element) => { element.scrollTop = 0 })
  const heading = log.locator('.log-heading').first()
  const rowsBefore = Number(await log.getAttribute('data-rows'))
  await heading.getByTestId('log-fold').click()
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="log"]')!.getAttribute('data-rows')) < n, rowsBefore)
  t.match(await heading.innerText(), /1 Colours · attempt 1/)
  const stepLines = logs.body.items.filter((line) => line.execution_id !== null).length
  t.match(await heading.innerText(), new RegExp(`${stepLines} lines`))
  await screenshot(page, 'log-folded')
  await heading.getByTestId('log-fold').click()
  await page.locator(`[data-testid="log"][data-rows="${rowsBefore}"]`).waitFor()

  // A link to a line: the address names it, and opened afresh the page scrolls to it and marks it.
  const target = logs.body.items.find((line) => line.message === 'numbered line 200')!
  await page.goto(`${server.base}/#/tasks/${id}/L${target.seq}`)
  await page.reload()
  const marked = log.locator(`.log-row.target[data-seq="${target.seq}"]`)
  await marked.waitFor()
  t.equal(await marked.locator('.log-text').innerText(), 'numbered line 200')
  t.equal(await marked.locator('a.log-seq').getAttribute('href'), `#/tasks/${id}/L${target.seq}`)
  t.ok(await marked.isVisible(), 'the linked line is in view')
  await screenshot(page, 'log-linked-line')

  // Copy: the shown rows as text, the colour codes left out.
  await page.getByTestId('log-level').selectOption('info')
  await page.getByTestId('log-copy').click()
  await page.getByTestId('log-copy').getByText('Copied').waitFor()
  const copied = await page.evaluate(() => navigator.clipboard.readText())
  t.match(copied, /^== 1 Colours · attempt 1$/m)
  t.match(copied, new RegExp(`^${target.seq}\t\\S+\tinfo\tnumbered line 200$`, 'm'))
  t.match(copied, /\tred alert then plain$/m)
  t.notMatch(copied, /\x1b/)
  t.equal(copied.split('\n').length, Number(await log.getAttribute('data-rows')), 'one line per row shown')
})
