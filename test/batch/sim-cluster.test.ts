import t from 'tap'
import { userInfo } from 'node:os'
import { inspect } from 'node:util'
import { setTimeout as delay } from 'node:timers/promises'
import { startSshSite, SITE_USERS } from '../helpers/ssh-site.js'
import { installSimCluster, type SimCluster } from '../helpers/sim-cluster.js'
import { siteProvider } from '../remote/site-provider.js'
import type { BatchAdapter } from '../../src/batch/adapter.js'
import { batchAdapter, toolsIn } from '../../src/batch/registry.js'
import { runBatchCommand, toolCommand, type BatchCommand } from '../../src/batch/tool-output.js'
import { jobStatus, type JobStatus } from '../../src/batch/types.js'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import type { Transport } from '../../src/remote/transport.js'
import { shellJoin } from '../../src/shell-quote.js'

// The real adapters against the stand-in HTCondor / HepJob tools (scripts/demo/cluster), on this machine and on
// the SSH test site's target through the jump, whose login shells print noise on every command channel.
const site = await startSshSite(t)
const { provider } = siteProvider(t, site)

/** A job that says where it ran, waits for its go file (the test's word to finish) and exits with the code asked. */
const JOB = ['#!/bin/bash', 'echo "ran in $PWD"', 'while [ ! -e "$1" ]; do sleep 0.1; done', 'exit "$2"']

/** Reads a value until it is what is wanted (bounded: the test fails with the last value read). */
async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`${what}: not so after ${timeoutMs} ms; last read ${inspect(value)}`)
    await delay(50)
  }
}

function scenarios(where: string, transport: Transport, user: string) {
  t.test(where, async (t) => {
    const cluster: SimCluster = await installSimCluster(t, transport)
    const { bin, workDir } = cluster
    const hep = batchAdapter('hepjob', { tools: toolsIn('hepjob', bin), user })
    const condor = batchAdapter('htcondor', { tools: toolsIn('htcondor', bin) })
    const run = (command: BatchCommand) => runBatchCommand(transport, command, AbortSignal.timeout(30_000))
    const job = `${workDir}/job.sh`
    const go = (name: string) => `${workDir}/go-${name}`
    await cluster.run(`printf '%s\\n' ${shellJoin(JOB)} > ${job} && chmod 755 ${job}`)

    /** What a poller learns: the queue, then the history for the ids the queue does not show. */
    const statesOf = async (adapter: BatchAdapter, ids: string[]) => {
      const found = new Map<string, JobStatus>()
      for (const command of adapter.queueCommands(ids)) {
        for (const [id, state] of adapter.parseQueue(command, await run(command))) found.set(id, state)
      }
      const missing = ids.filter((id) => !found.has(id))
      for (const command of missing.length > 0 ? adapter.historyCommands(missing) : []) {
        for (const [id, state] of adapter.parseHistory(command, await run(command))) found.set(id, state)
      }
      return found
    }
    const reach = (adapter: BatchAdapter, ids: string[], state: string) => until(`${ids.join(' ')} ${state}`,
      () => statesOf(adapter, ids), (states) => ids.every((id) => states.get(id)?.state === state))
    const tool = async (name: string, args: string[], path = `${bin}/${name}`) => {
      const output = await run(toolCommand(name, path, args, []))
      if (output.exitCode !== 0) throw new Error(`${name}: ${output.stderr.join('\n')}`)
      return output
    }
    const hepSub = async (args: string[]) => hep.parseSubmission((await tool('hep_sub', args)).stdout)
    const condorSubmit = async (name: string, lines: string[]) => {
      await cluster.run(`printf '%s\\n' ${shellJoin(lines)} > ${workDir}/${name}.sub`)
      return condor.parseSubmission((await tool('condor_submit', [`${workDir}/${name}.sub`])).stdout)
    }
    const gone = (ids: string[]) => until(`${ids.join(' ')} removed and their processes gone`, () => cluster.jobs(),
      (jobs) => ids.every((id) => jobs.get(id)?.state === 'removed' && !jobs.get(id)!.live))

    t.test('hep_sub: absent during the lag, then queued, running, completed with exit 0', async (t) => {
      await cluster.configure({ lag_seconds: 1.5, start_seconds: 3, first_cluster: 52032427 })
      const submittedAt = Date.now()
      const ids = await hepSub(['-g', 'physics', '-o', `${workDir}/a.out`, '-e', `${workDir}/a.err`, job, go('a'), '0'])
      t.same(ids, ['52032427.0'], 'the id hep_sub printed (the noise\'s "cluster 123" is none)')
      const [id] = ids as [string]
      const early = await statesOf(hep, ids)
      t.ok(Date.now() - submittedAt < 1500, 'asked within the lag')
      t.same(early, new Map(), 'neither hep_q nor condor_history shows it during the lag')
      t.match((await cluster.jobs()).get(id), { state: 'idle', live: true }, 'though the cluster holds it, its runner waiting')
      t.same((await reach(hep, ids, 'queued')).get(id), jobStatus('queued'))
      await reach(hep, ids, 'running')
      await cluster.run(`touch ${go('a')}`)
      const done = await reach(hep, ids, 'completed')
      t.same(done.get(id), jobStatus('completed', { exitCode: 0 }), 'condor_history has its exit code')
      const [iwd, out] = (await tool('condor_history', [id, '-af', 'Iwd', 'Out'])).stdout[0]!.split(' ')
      t.equal(out, `${workDir}/a.out`)
      t.same((await tool('cat', [out!], '/bin/cat')).stdout, [`ran in ${iwd}`], 'it ran in the folder it was submitted from')
    })

    t.test('condor_submit: a job exiting 3 has failed with 3', async (t) => {
      await cluster.configure({ lag_seconds: 0.2, start_seconds: 0.2 })
      await cluster.run(`touch ${go('b')}`)
      const ids = await condorSubmit('b', [`executable = ${job}`, 'arguments = "go-b 3"', `initialdir = ${workDir}`,
        'output = b.$(Cluster).$(Process).out', '+JobBatchName = "topup-7-submit"', 'queue'])
      t.equal(ids.length, 1)
      const [id] = ids as [string]
      t.same((await reach(condor, ids, 'failed')).get(id), jobStatus('failed', { exitCode: 3 }))
      t.same((await tool('condor_history', ['-limit', '1', id, '-af', 'JobBatchName', 'Iwd', 'Out'])).stdout,
        [`topup-7-submit ${workDir} b.${id}.out`], 'JobBatchName, initialdir and the output macros of the submit file')
      t.same((await tool('cat', [`${workDir}/b.${id}.out`], '/bin/cat')).stdout, [`ran in ${workDir}`])
    })

    t.test('hold with a reason is seen as held with it; released, the jobs run again', async (t) => {
      await cluster.configure({ lag_seconds: 0.2, start_seconds: 120 })
      const ids = await condorSubmit('c', [`executable = ${job}`, `arguments = ${go('c')} 0`, 'queue 2'])
      const [first, second] = ids as [string, string]
      await reach(condor, ids, 'queued')
      const [hold] = condor.controlCommands('hold', [first])
      t.same(condor.parseControl(hold!, await run(hold!)), { accepted: [first], refused: [] })
      t.same((await tool('condor_hold', ['-reason', 'disk quota exceeded', second])).stdout, [`Job ${second} held`])
      const held = await reach(condor, ids, 'held')
      t.same(held.get(first), jobStatus('held', { reason: `via condor_hold (by user ${user})` }))
      t.same(held.get(second), jobStatus('held', { reason: 'disk quota exceeded' }))
      t.match(await cluster.jobs(), new Map([[first, { state: 'held', live: false }], [second, { state: 'held', live: false }]]),
        'a held job has no runner')

      await cluster.configure({ lag_seconds: 0.2, start_seconds: 0.2 })
      const [release] = condor.controlCommands('release', ids)
      t.same(condor.parseControl(release!, await run(release!)), { accepted: ids, refused: [] })
      await reach(condor, ids, 'running')
      const [evict] = condor.controlCommands('hold', [first])
      t.same(condor.parseControl(evict!, await run(evict!)).accepted, [first], 'a running job is held')
      await until('the held job evicted', () => cluster.jobs(), (jobs) => jobs.get(first)?.state === 'held' && !jobs.get(first)!.live)
      const [again] = condor.controlCommands('release', [first])
      t.same(condor.parseControl(again!, await run(again!)).accepted, [first])
      await reach(condor, ids, 'running')
      await cluster.run(`touch ${go('c')}`)
      t.same([...(await reach(condor, ids, 'completed')).values()], [jobStatus('completed', { exitCode: 0 }),
        jobStatus('completed', { exitCode: 0 })])
    })

    t.test('a refused removal is reported refused; the others are removed and their processes gone', async (t) => {
      await cluster.configure({ lag_seconds: 0.2, start_seconds: 0.2 })
      const ids: string[] = []
      for (const name of ['d1', 'd2', 'd3']) ids.push(...await hepSub(['-o', '/dev/null', '-e', '/dev/null', job, go(name), '0']))
      const kept = ids[1]!
      await reach(hep, ids, 'running')
      await cluster.refuseRemoval([kept])
      const [cancel] = hep.controlCommands('cancel', ids)
      const output = await run(cancel!)
      t.equal(output.exitCode, 1, 'hep_rm exits non-zero, as condor_rm does')
      t.same(hep.parseControl(cancel!, output), {
        accepted: [ids[0], ids[2]], refused: [{ id: kept, reason: `Permission denied to remove job ${kept}` }],
      })
      await gone([ids[0]!, ids[2]!])
      const after = await statesOf(hep, ids)
      t.same(after, new Map([[ids[0], jobStatus('removed')], [kept, jobStatus('running')], [ids[2], jobStatus('removed')]]),
        'the history has the removed jobs (JobStatus 3), the queue the refused one')
      t.match((await cluster.jobs()).get(kept), { state: 'running', live: true })

      await cluster.refuseRemoval([])
      const [retry] = hep.controlCommands('cancel', [kept])
      t.same(hep.parseControl(retry!, await run(retry!)), { accepted: [kept], refused: [] })
      await gone([kept])
    })

    t.test('many ids: one command queries them, one removes them', async (t) => {
      await cluster.configure({ lag_seconds: 0.2, start_seconds: 0.2 })
      const ids = await condorSubmit('e', ['executable = /bin/sleep', 'arguments = 600', 'queue 30'])
      t.equal(ids.length, 30)
      t.equal(condor.queueCommands(ids).length, 1)
      await reach(condor, ids, 'running')
      const cancels = condor.controlCommands('cancel', ids)
      t.equal(cancels.length, 1)
      t.same(condor.parseControl(cancels[0]!, await run(cancels[0]!)), { accepted: ids, refused: [] })
      t.equal((await reach(condor, ids, 'removed')).size, 30, 'the history has each one removed')
      await gone(ids)
    })
  })
}

scenarios('on this machine', new LocalTransport(), userInfo().username)
scenarios('on the SSH target through the jump, under its login noise', provider.transportFor('target'), SITE_USERS.target.name)
