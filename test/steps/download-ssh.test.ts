import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { shellQuote } from '../../src/shell-quote.js'
import { downloadStep } from '../../src/steps/download.js'
import { startSshSite } from '../helpers/ssh-site.js'
import { stepHarness } from '../helpers/step-context.js'
import { siteProvider } from '../remote/site-provider.js'
import { downloadCases, sh, type Site } from './download-cases.js'

/** The download step through the jump host to the target: listing by one command, copies over SFTP. */
const sshSite = await startSshSite(t)
const { provider } = siteProvider(t, sshSite, { ssh: { killGraceMs: 500 } })
const transport = provider.transportFor('target')
const [home] = await sh({ transport, base: '' }, 'printf "%s\\n" "$HOME"')

let site: Site
t.beforeEach(async () => {
  site = { transport, base: `${home}/download-${randomBytes(4).toString('hex')}` }
  await sh(site, `mkdir -p ${shellQuote(site.base)}`)
})
t.afterEach(() => sh(site, `rm -rf ${shellQuote(site.base)}`))

downloadCases(t, () => site)

t.test('~/ means the login folder', async (t) => {
  const rel = site.base.slice(home!.length + 1)
  await sh(site, `printf tilde > ${shellQuote(`${site.base}/t.txt`)}`)
  const dataDir = mkdtempSync(join(tmpdir(), 'topup-dl-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const h = await stepHarness<'download'>(t, { id: 'f', display_name: 'F', type: 'download', inputs: { path: `~/${rel}/*.txt` } }, { transport })
  const remotePaths: string[] = []
  const outcome = await downloadStep.run({ ...h.ctx, dataDir, addArtifact: async (f) => { remotePaths.push(f.remotePath) } })
  t.match(outcome, { status: 'success' })
  t.same(remotePaths, [`${site.base}/t.txt`])
  t.equal(readFileSync(join(dataDir, 'artifacts', String(h.taskId), 't.txt'), 'utf8'), 'tilde')
})
