import t from 'tap'
import { startSshSite } from '../helpers/ssh-site.js'
import { runCollect, siteProvider } from '../remote/site-provider.js'
import { batchAdapter, toolsIn } from '../../src/batch/registry.js'
import { runBatchCommand, toolCommand } from '../../src/batch/tool-output.js'
import { jobStatus } from '../../src/batch/types.js'
import { shellQuote } from '../../src/shell-quote.js'

// HepJob stand-ins on the SSH test site's target, reached through the jump, whose login shells print noise that
// includes "1 job(s) submitted to cluster 123." and a framed-looking line on every command channel.
const site = await startSshSite(t)
const { provider } = siteProvider(t, site)
const target = provider.transportFor('target')
const dir = `.topup/runs/batch-${process.pid}-${Date.now()}`
t.teardown(() => runCollect(provider, 'target', `rm -rf ~/${dir}`).catch(() => {}))

const tools = {
  hep_sub: `echo '2 job(s) submitted to cluster 52032427.'`,
  hep_q: `echo 'JOBID           OWNER           SUBMITTED       RUN_TIME        ST PRI SIZE  CMD'
echo '52032427.0      topup           01/13 20:24     0+02:04:08      R  0   732.0 xboss rec1.txt'
echo '123.0           topup           01/13 20:24     0+02:04:08      R  0   732.0 xboss rec2.txt'
echo; echo '2 jobs; 0 completed, 0 removed, 0 idle, 2 running, 0 held, 0 suspended'`,
  condor_history: `echo '52032427 1 4 0 undefined'`,
  hep_rm: `echo 'Job 52032427.0 marked for removal'; echo "Job 52032427.1 not found" >&2; exit 1`,
}

t.test('submit, query, history and removal read only the tools\' own framed output', async (t) => {
  const setup = Object.entries(tools).map(([name, body]) =>
    `printf '%s\\n' '#!/bin/bash' ${shellQuote(body)} > ${name} && chmod 755 ${name}`).join(' && ')
  const made = await runCollect(provider, 'target', `mkdir -p ~/${dir} && cd ~/${dir} && ${setup} && pwd`)
  t.equal(made.exitCode, 0, made.stderr.join('\n'))
  const folder = made.stdout.at(-1)!
  const signal = AbortSignal.timeout(60_000)
  const hep = batchAdapter('hepjob', { tools: toolsIn('hepjob', folder), user: 'topup' })

  const submit = toolCommand('hep_sub of rec1.txt', `${folder}/hep_sub`, ['-g', 'offlinerun', 'rec1.txt'], [])
  const submitted = hep.parseSubmission((await runBatchCommand(target, submit, signal)).stdout)
  t.same(submitted, ['52032427.0', '52032427.1'], 'the noise\'s cluster 123 is no submission')

  const [queue] = hep.queueCommands([...submitted, '123.0'])
  t.same(hep.parseQueue(queue!, await runBatchCommand(target, queue!, signal)), new Map([
    ['52032427.0', jobStatus('running')], ['123.0', jobStatus('running')],
  ]))
  const [history] = hep.historyCommands(['52032427.1'])
  t.same(hep.parseHistory(history!, await runBatchCommand(target, history!, signal)),
    new Map([['52032427.1', jobStatus('completed', { exitCode: 0 })]]))
  const [cancel] = hep.controlCommands('cancel', submitted)
  t.same(hep.parseControl(cancel!, await runBatchCommand(target, cancel!, signal)), {
    accepted: ['52032427.0'], refused: [{ id: '52032427.1', reason: 'Job 52032427.1 not found' }],
  })
})
