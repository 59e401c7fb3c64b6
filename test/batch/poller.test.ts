import t from 'tap'
import { userInfo } from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import { GroupPoller, type PollTiming } from '../../src/batch/poller.js'
import { batchAdapter, toolsIn } from '../../src/batch/registry.js'
import type { JobStatus } from '../../src/batch/types.js'
import { pollTiming } from '../../src/engine/job-timing.js'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import { installSimCluster } from '../helpers/sim-cluster.js'

// The shared poller against the stand-in cluster: one queue command per poll for all its jobs, an interval
// that starts short and doubles to the steady one, idle without jobs, and `lost` only after the lag window.

const timing: PollTiming = { minIntervalMs: 50, maxIntervalMs: 400, lagWindowMs: 60_000, timeoutMs: 30_000 }

t.test('one command per poll, doubling from the minimum to the steady interval', async (t) => {
  const cluster = await installSimCluster(t)
  await cluster.configure({ lag_seconds: 0, start_seconds: 3600 })
  await cluster.run(`cd ${cluster.workDir} && for i in 1 2 3 4 5; do ${cluster.bin}/hep_sub /bin/true >/dev/null; done`)
  const ids = ['1.0', '2.0', '3.0', '4.0', '5.0']
  const polls: Array<{ at: number; statuses: Map<string, JobStatus> }> = []
  let done: () => void = () => {}
  const sixPolls = new Promise<void>((resolve) => { done = resolve })
  const poller = new GroupPoller({
    adapter: batchAdapter('hepjob', { tools: toolsIn('hepjob', cluster.bin), user: userInfo().username }),
    host: 'local', transport: () => new LocalTransport(), timing,
    jobs: () => ids.map((id) => ({ id, submittedAt: new Date() })),
    onResult: async (statuses) => {
      polls.push({ at: performance.now(), statuses })
      if (polls.length === 6) { poller.stop(); done() }
    },
    onFailure: (error) => { t.fail(String(error)) },
  })
  t.teardown(() => poller.stop())
  // the poller's timers do not keep a process alive (a server's sockets do): this test's does
  const alive = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(alive))
  poller.nudge()
  await sixPolls
  t.equal(poller.commands, 6, 'one hep_q per poll for the five jobs (the queue knew them all: no history asked)')
  t.ok(polls.every((p) => p.statuses.size === 5 && [...p.statuses.values()].every((s) => s.state === 'queued')))
  // only lower bounds: a loaded machine may delay a poll, never bring it forward
  const gaps = polls.slice(1).map((p, i) => p.at - polls[i]!.at)
  const planned = [100, 200, 400, 400, 400]
  gaps.forEach((gap, i) => t.ok(gap >= planned[i]! - 15, `gap ${i + 1}: ${gap.toFixed(0)} ms ≥ ${planned[i]} ms`))
})

t.test('no jobs: the poller stays idle until nudged; an unknown id is lost only after the lag window', async (t) => {
  const cluster = await installSimCluster(t)
  let jobs: Array<{ id: string; submittedAt: Date }> = []
  const results: Array<Map<string, JobStatus>> = []
  const poller = new GroupPoller({
    adapter: batchAdapter('hepjob', { tools: toolsIn('hepjob', cluster.bin), user: 'nobody' }),
    host: 'local', transport: () => new LocalTransport(), timing,
    jobs: () => jobs,
    onResult: async (statuses) => { results.push(statuses) },
    onFailure: (error) => { t.fail(String(error)) },
  })
  t.teardown(() => poller.stop())
  poller.nudge()
  t.same(await poller.pollNow(), new Map(), 'nothing to ask about: no command')
  t.equal(poller.commands, 0)
  jobs = [{ id: '77.0', submittedAt: new Date() }, { id: '78.0', submittedAt: new Date(Date.now() - 120_000) }]
  const statuses = await poller.pollNow()
  t.same([...statuses.keys()], ['78.0'], 'within the lag window a missing job has no verdict')
  t.match(statuses.get('78.0'), { state: 'lost', reason: 'neither the queue nor the history knows it' })
  t.equal(poller.commands, 2, 'the queue, then the history for the two it did not list')
})

t.test('submissions coming faster than the interval do not put the next poll off', async (t) => {
  const cluster = await installSimCluster(t)
  await cluster.configure({ lag_seconds: 0, start_seconds: 3600 })
  await cluster.run(`cd ${cluster.workDir} && ${cluster.bin}/hep_sub /bin/true >/dev/null`)
  const results: Array<Map<string, JobStatus>> = []
  const poller = new GroupPoller({
    adapter: batchAdapter('hepjob', { tools: toolsIn('hepjob', cluster.bin), user: userInfo().username }),
    host: 'local', transport: () => new LocalTransport(),
    timing: { minIntervalMs: 200, maxIntervalMs: 1000, lagWindowMs: 60_000, timeoutMs: 30_000 },
    jobs: () => [{ id: '1.0', submittedAt: new Date() }],
    onResult: async (statuses) => { results.push(statuses) },
    onFailure: (error) => { t.fail(String(error)) },
  })
  t.teardown(() => poller.stop())
  // a new submission every 50 ms, for at most 5 s: the first poll must come within the stream
  for (let i = 0; i < 100 && results.length === 0; i++) {
    poller.nudge()
    await delay(50)
  }
  t.equal(results.length > 0 ? results[0]!.get('1.0')?.state : 'no poll', 'queued', 'polled while submissions went on')
})

t.test('a host may poll less often than the configured minimum, never more', async (t) => {
  const config = { JOB_POLL_MIN_SECONDS: 15, JOB_POLL_MAX_SECONDS: 60, JOB_LAG_SECONDS: 120, JOB_POLL_FAILURES: 3 }
  t.match(pollTiming(config), { minIntervalMs: 15_000, maxIntervalMs: 60_000, lagWindowMs: 120_000 })
  t.match(pollTiming(config, 90), { minIntervalMs: 90_000, maxIntervalMs: 90_000 })
  t.match(pollTiming(config, 5), { minIntervalMs: 15_000 })
})
