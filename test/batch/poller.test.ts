import t from 'tap'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { GroupPoller } from '../../src/batch/poller.js'
import { batchAdapter, toolsIn } from '../../src/batch/registry.js'
import type { JobStatus } from '../../src/batch/types.js'
import { LocalTransport } from '../../src/remote/local/local-transport.js'

// The shared poller against a stand-in hep_q on this machine.

t.test('submissions coming faster than the interval do not put the next poll off', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'poller-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const user = userInfo().username
  writeFileSync(join(dir, 'hep_q'), `#!/bin/bash\necho "1.0 ${user} 01/13 20:24 0+00:00:01 R 0 1.0 job.sh"\n`)
  chmodSync(join(dir, 'hep_q'), 0o755)
  const results: Array<Map<string, JobStatus>> = []
  const transport = new LocalTransport()
  const poller = new GroupPoller({
    adapter: batchAdapter('hepjob', { tools: toolsIn('hepjob', dir), user }),
    transport: () => transport,
    timing: { minIntervalMs: 200, maxIntervalMs: 1000, lagWindowMs: 60_000, timeoutMs: 30_000 },
    jobs: () => [{ id: '1.0', submittedAt: new Date() }],
    onResult: async (statuses) => { results.push(statuses) },
    onFailure: (error) => { throw error },
  })
  t.teardown(() => poller.stop())
  // a new submission every 50 ms, for at most 5 s: the first poll must come within the stream
  for (let i = 0; i < 100 && results.length === 0; i++) {
    poller.nudge()
    await delay(50)
  }
  t.equal(results.length > 0 ? results[0]!.get('1.0')?.state : 'no poll', 'running', 'polled while submissions went on')
  t.equal(poller.commands, 1, 'one hep_q for the poll')
})
