/**
 * The page in Debian's Chromium, headless, as the tests drive it (playwright-core, never a downloaded browser),
 * against a real server: the first load of the task list (time, and the bytes of the page's own files raw and
 * as gzip would send them), and the live log of a task with BENCH_LOG_LINES (200,000) lines — the time until
 * the page has them all, the frame times while scrolling through them (steady and in jumps), and a search.
 * Run by `npm run bench` after the others, or alone: `npx tsx bench/page.ts`.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium, type Browser, type Page } from 'playwright-core'
import { signToken } from '../src/auth/token.js'
import { SECRET, startServerProcess } from '../test/helpers/server-process.js'

const lines = Number(process.env.BENCH_LOG_LINES ?? 200_000)
const loads = Number(process.env.BENCH_PAGE_LOADS ?? 5)
const teardowns: Array<() => unknown> = []
const dir = mkdtempSync(join(tmpdir(), 'topup-bench-page-'))

/** One step printing `lines` lines, every tenth coloured, as a chatty cluster tool would. */
function writeWorkflow(): string {
  const workflows = join(dir, 'workflows')
  mkdirSync(workflows)
  const command = String.raw`awk 'BEGIN { for (i = 1; i <= ${lines}; i++) if (i % 10 == 0) printf "\033[32mok\033[0m run %d: file %d of the day checked\n", i, i; else printf "run %d: Interval_run%d.txt holds 15000000, as expected for this run\n", i, i }'`
  writeFileSync(join(workflows, 'bench_log.json'), JSON.stringify({
    name: 'bench_log', display_name: 'Bench: a long log', version: '1',
    steps: [{ id: 'print', display_name: 'Print a long log', type: 'exec', host: 'local', inputs: { command }, timeout_minutes: 30 }],
  }))
  return workflows
}

function stats(values: number[], unit = 'ms'): string {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  return `median ${at(0.5).toFixed(1)} ${unit}, p95 ${at(0.95).toFixed(1)} ${unit}, max ${sorted.at(-1)!.toFixed(1)} ${unit} (${values.length})`
}

async function newPage(browser: Browser, base: string, token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } })
  const page = await context.newPage()
  // the token is stored by the page itself from a sign-in link; then the measured load starts from an empty cache
  await page.goto(`${base}/#token=${token}`)
  await page.getByTestId('who').waitFor()
  return page
}

/** First load of the list, cold cache: navigation to the table of tasks shown; the bytes of the page's files. */
async function firstLoad(browser: Browser, base: string, token: string) {
  const times: number[] = []
  let files = new Map<string, number>()
  for (let i = 0; i < loads; i++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } })
    await context.addInitScript((value) => localStorage.setItem('topup.token', value), token)
    const page = await context.newPage()
    const seen = new Map<string, Promise<number>>()
    page.on('requestfinished', (request) => { seen.set(request.url(), request.sizes().then((s) => s.responseBodySize)) })
    const t0 = Date.now()
    await page.goto(`${base}/#/`)
    await page.locator('tr[data-task-id]').first().waitFor({ timeout: 5 * 60_000 })
    times.push(Date.now() - t0)
    files = new Map(await Promise.all([...seen].filter(([url]) => !new URL(url).pathname.startsWith('/api/'))
      .map(async ([url, size]) => [url, await size] as [string, number])))
    await context.close()
  }
  let raw = 0
  let gzipped = 0
  for (const url of files.keys()) {
    const body = Buffer.from(await (await fetch(url)).arrayBuffer())
    raw += body.length
    gzipped += gzipSync(body).length
  }
  return { times, count: files.size, raw, gzipped, received: [...files.values()].reduce((a, b) => a + b, 0) }
}

/**
 * Frame intervals over `frames` animation frames, each moving the log's scroll position: 600 px on (steady) or
 * to a far place (jumps). Sent as text: tsx would name the functions with a helper the page does not have.
 */
function scrollFrames(page: Page, frames: number, mode: 'steady' | 'jumps'): Promise<number[]> {
  return page.evaluate(`new Promise((resolve) => {
    const log = document.querySelector('[data-testid="log"]')
    const span = log.scrollHeight - log.clientHeight
    const intervals = []
    let last = 0
    let i = 0
    const frame = (now) => {
      if (last) intervals.push(now - last)
      last = now
      if (i++ >= ${frames}) return resolve(intervals)
      log.scrollTop = ${mode === 'steady'} ? Math.min(span, log.scrollTop + 600) : ((i * 7919) % 1000) / 1000 * span
      requestAnimationFrame(frame)
    }
    log.scrollTop = 0
    requestAnimationFrame(frame)
  })`)
}

const load1 = () => loadavg()[0]!.toFixed(1)
const loadBefore = load1()
try {
  const server = await startServerProcess({ teardown: (fn) => teardowns.push(fn) }, dir, { WORKFLOWS_DIR: writeWorkflow() })
  const t0 = Date.now()
  const task = await server.api<{ id: number }>('POST', '/api/tasks', { workflow_name: 'bench_log', task_name: 'bench', start: true })
  await server.waitForStatus(task.body.id, ['success', 'failed'], 30 * 60_000)
  const logged = (await server.api<{ total: number }>('GET', `/api/tasks/${task.body.id}/logs?limit=1`)).body.total
  const writeSeconds = (Date.now() - t0) / 1000

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  })
  teardowns.push(() => browser.close())
  const token = signToken(SECRET, { userId: 'alice', role: 'user' }, 3600)
  const load = await firstLoad(browser, server.base, token)

  const page = await newPage(browser, server.base, token)
  const t1 = Date.now()
  await page.goto(`${server.base}/#/tasks/${task.body.id}`)
  await page.locator(`[data-testid="log"][data-lines="${logged}"]`).waitFor({ timeout: 10 * 60_000 })
  const replaySeconds = (Date.now() - t1) / 1000
  const steady = await scrollFrames(page, 300, 'steady')
  const jumps = await scrollFrames(page, 300, 'jumps')
  const t2 = Date.now()
  await page.getByTestId('log-search').fill(`run ${lines - 1}:`)
  await page.locator('[data-testid="log-matches"][data-matches="1"]').waitFor()
  const searchMs = Date.now() - t2
  const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0)

  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`
  console.log(`the page in Chromium ${browser.version()} headless, loopback (load average ${loadBefore} before, ${load1()} after):`)
  console.log(`  first load of the task list, cold cache   ${stats(load.times)}`)
  console.log(`  the page's own files (${load.count})               ${kb(load.raw)} raw, ${kb(load.gzipped)} gzipped (received ${kb(load.received)})`)
  console.log(`  a log of ${logged} lines: written by the engine in ${writeSeconds.toFixed(1)} s; replayed into the page in ${replaySeconds.toFixed(1)} s`)
  console.log(`  frame intervals, steady scroll (600 px a frame)  ${stats(steady)}; over 20 ms: ${steady.filter((f) => f > 20).length}`)
  console.log(`  frame intervals, jumps across the whole log      ${stats(jumps)}; over 20 ms: ${jumps.filter((f) => f > 20).length}`)
  console.log(`  search of all ${logged} lines to its one hit   ${searchMs} ms; JS heap ${(heap / 1024 ** 2).toFixed(0)} MB`)
} finally {
  for (const fn of teardowns.reverse()) await fn()
  rmSync(dir, { recursive: true, force: true })
}
