import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

/** Where the tests put their screenshots (ignored by git: test/web/.gitignore). */
export const screenshotDir = fileURLToPath(new URL('screenshots/', import.meta.url))

/**
 * Debian's Chromium (never a downloaded browser), headless, in a fresh profile removed at teardown. The
 * arguments keep it off the network: no first-run, no background, component or sync traffic, no QUIC.
 */
export async function openBrowser(t: { teardown(fn: () => unknown): void }, locale = 'en-GB'): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'topup-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true, locale, viewport: { width: 1440, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  })
  t.teardown(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  return context
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true })
}

/** Counts the bytes of every response body the page receives (what the browser downloads). */
export function countDownloads(page: Page): { bytes: (filter?: (url: string) => boolean) => Promise<number>; urls: string[] } {
  const sizes: Promise<number>[] = []
  const urls: string[] = []
  page.on('requestfinished', (request) => {
    urls.push(request.url())
    // A request still being measured when the page closes counts nothing (and is no unhandled rejection).
    sizes.push(request.sizes().then((s) => s.responseBodySize + s.responseHeadersSize, () => 0))
  })
  return {
    urls,
    bytes: async (filter = () => true) => (await Promise.all(sizes)).reduce((sum, size, i) => sum + (filter(urls[i]!) ? size : 0), 0),
  }
}
