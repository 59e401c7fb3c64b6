import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import type { Transport } from '../../src/remote/transport.js'
import { runBatchCommand, toolCommand } from '../../src/batch/tool-output.js'
import { shellJoin, shellQuote } from '../../src/shell-quote.js'
import { root } from './imports.js'

/** The stand-in HTCondor / HepJob tools (scripts/demo/cluster/sim-cluster.sh tells how they behave). */
const SOURCE = join(root, 'scripts/demo/cluster')

/** The stand-in cluster's settings (`<state>/config`); what is left out takes the scripts' default. */
export interface SimSettings {
  /** How long a new job is in neither the queue nor the history (default 1). */
  lag_seconds?: number
  /** How long a job stays idle before it runs, after its submission or release (default 0.5). */
  start_seconds?: number
  /** The first cluster id a new cluster gives out (default 1). */
  first_cluster?: number
}

export type SimState = 'idle' | 'running' | 'held' | 'suspended' | 'completed' | 'removed'

/** A job as the stand-in cluster holds it, the lag not applied. */
export interface SimJob {
  state: SimState
  /** A process of its runner's group (the runner, the job, its children) still runs. */
  live: boolean
  exitCode: number | null
  signal: number | null
}

export interface SimCluster {
  /** The folder of the tools (hep_sub, condor_q, …): absolute, for toolsIn(system, bin). */
  bin: string
  /** The cluster's state folder on its host (bin/.state: private to this copy). */
  stateDir: string
  /** A folder next to bin for the test's own files (job scripts, submit files); removed with the copy. */
  workDir: string
  configure(settings: SimSettings): Promise<void>
  /** Ids whose removal is refused from now on ("Permission denied to remove job …"); [] refuses none. */
  refuseRemoval(ids: readonly string[]): Promise<void>
  jobs(): Promise<Map<string, SimJob>>
  /** Runs a command there (its exit code checked, its output not read). */
  run(command: string): Promise<void>
  /** Removes every queued job, kills every runner and waits until their processes are gone. */
  stop(): Promise<void>
}

interface Teardown { teardown(fn: () => unknown): void }

const signal = () => AbortSignal.timeout(60_000)

/** Runs a command on the transport's host, its exit code checked (its output not read). */
export function commandRunner(transport: Transport): (command: string) => Promise<void> {
  return async (command) => {
    const result = await transport.run({ command, signal: signal() })
    if (result.exitCode !== 0) throw new Error(`on ${transport.host}, exit ${result.exitCode ?? result.signal}: ${command.slice(0, 200)}`)
  }
}

/**
 * Installs a private copy of the stand-in cluster on the transport's host (this machine by default, or the SSH
 * test site's target) under /tmp, with a state folder and settings of its own. At the end of the test it is
 * stopped and removed.
 */
export async function installSimCluster(t: Teardown, transport: Transport = new LocalTransport()): Promise<SimCluster> {
  const dir = `/tmp/topup-sim-cluster-${process.pid}-${randomBytes(4).toString('hex')}`
  const bin = `${dir}/bin`
  const run = commandRunner(transport)
  // a file a command, mode kept; the copy's .state is not copied
  const files = readdirSync(SOURCE).filter((name) => !name.startsWith('.')).map((name) => {
    const path = join(SOURCE, name)
    const mode = (statSync(path).mode & 0o777).toString(8)
    return `printf '%s' ${shellQuote(readFileSync(path, 'utf8'))} > ${bin}/${name} && chmod ${mode} ${bin}/${name}`
  })
  await run([`mkdir -m 700 ${dir}`, `mkdir ${bin} ${bin}/.state ${dir}/work`, ...files].join(' && '))
  const cluster = simClusterAt(transport, bin, `${dir}/work`)
  t.teardown(async () => {
    await cluster.stop()
    await run(`rm -rf ${dir}`)
  })
  return cluster
}

/** The controls of a stand-in cluster whose tools are in `bin` on the transport's host (its state in bin/.state). */
export function simClusterAt(transport: Transport, bin: string, workDir: string): SimCluster {
  const stateDir = `${bin}/.state`
  const run = commandRunner(transport)
  let stopped = false
  const writeState = (name: string, lines: string[]) =>
    run(`printf '%s\\n' ${shellJoin(lines)} > ${stateDir}/${name}.new && mv -f ${stateDir}/${name}.new ${stateDir}/${name}`)
  return {
    bin, stateDir, workDir, run,
    async configure(settings) {
      const lines = Object.entries(settings).map(([name, value]) => {
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`${name} = ${value}`)
        return `${name}=${name === 'first_cluster' ? String(Math.trunc(value)) : value.toFixed(6)}`
      })
      await writeState('config', lines.length > 0 ? lines : ['# defaults'])
    },
    refuseRemoval: (ids) => writeState('refuse-removal', ids.length > 0 ? [...ids] : ['']),
    async jobs() {
      const command = toolCommand('sim-jobs', `${bin}/sim-jobs`, [], [])
      const output = await runBatchCommand(transport, command, signal())
      if (output.exitCode !== 0) throw new Error(`sim-jobs: ${output.stderr.join('\n')}`)
      const number = (value: string | undefined) => (value === undefined || value === 'undefined' ? null : Number(value))
      return new Map(output.stdout.filter((line) => line.trim() !== '').map((line) => {
        const [id, state, live, exitCode, exitSignal] = line.trim().split(/\s+/)
        return [id!, { state: state as SimState, live: live === '1', exitCode: number(exitCode), signal: number(exitSignal) }]
      }))
    },
    async stop() {
      if (stopped) return
      stopped = true
      await run(`${bin}/sim-stop`)
    },
  }
}

/**
 * Stops a stand-in cluster of this machine that a test did not install, by the folder of its tools (e.g. the demo's
 * `.cluster` next to its day folders); nothing to do where there is none.
 */
export async function stopLocalSimCluster(bin: string): Promise<void> {
  const stop = shellQuote(join(bin, 'sim-stop'))
  const result = await new LocalTransport().run({ command: `if [ -e ${stop} ]; then ${stop}; fi`, signal: signal() })
  if (result.exitCode !== 0) throw new Error(`${stop} exited ${result.exitCode ?? result.signal}`)
}
