import { fork, type ChildProcess } from 'node:child_process'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FromSpawner, SpawnRequest } from './spawner-protocol.js'

/** What a command started through the spawner comes to; each promise rejects with SpawnerLost if the spawner dies first. */
export interface SpawnedRun {
  /** The group leader's pid (its process group id) and start time, once the command runs. */
  started: Promise<{ pid: number; startTime: string | null }>
  exited: Promise<{ code: number | null; signal: string | null }>
  /** Every output chunk was handed to `onOutput`: both pipes reached their end, or were closed after drainMs. */
  drained: Promise<void>
}

/** The spawner process died while a command ran (or before it reported the command started). */
export class SpawnerLost extends Error {
  constructor(message: string, readonly beforeStart: boolean) {
    super(message)
    this.name = 'SpawnerLost'
  }
}

/** Called as the messages of a run arrive: the start before any output, so a listener sees it first. */
export interface RunListener {
  onStarted(started: { pid: number; startTime: string | null }): void
  onOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void
}

interface Pending extends RunListener {
  started: Deferred<{ pid: number; startTime: string | null }>
  exited: Deferred<{ code: number | null; signal: string | null }>
  drained: Deferred<void>
}

const here = fileURLToPath(import.meta.url)
/** spawner-process.js beside this file (spawner-process.ts when the server runs from source). */
const spawnerFile = here.slice(0, -extname(here).length).replace(/spawner$/, 'spawner-process') + extname(here)

/**
 * The server's side of the command spawner (spawner-process.ts): forks it at the first command, sends it the
 * commands and routes what comes back to each run. One spawner serves the whole process. It does not keep the
 * server alive while no command runs. When it dies, the runs it had fail with SpawnerLost (their commands are not
 * started again) and the next command forks a fresh one.
 */
export class Spawner {
  #child: ChildProcess | null = null
  readonly #runs = new Map<number, Pending>()
  #nextId = 1

  /** `environment`: the spawner's own environment (it needs no more than a command gets). */
  constructor(private readonly environment: () => Record<string, string>) {}

  run(request: Omit<SpawnRequest, 'kind' | 'id'>, listener: RunListener): SpawnedRun {
    const child = this.#spawner()
    const id = this.#nextId++
    const pending: Pending = {
      onStarted: (started) => listener.onStarted(started), onOutput: (stream, chunk) => listener.onOutput(stream, chunk),
      started: deferred(), exited: deferred(), drained: deferred(),
    }
    this.#runs.set(id, pending)
    this.#hold()
    child.send({ kind: 'run', id, ...request } satisfies SpawnRequest, (error) => {
      if (error) this.#lost(child, `could not reach the local command spawner: ${error.message}`)
    })
    return { started: pending.started.promise, exited: pending.exited.promise, drained: pending.drained.promise }
  }

  /** The spawner's pid, while one runs. */
  get pid(): number | undefined {
    return this.#child?.pid
  }

  #spawner(): ChildProcess {
    if (this.#child?.connected) return this.#child
    if (this.#child) this.#lost(this.#child, 'the local command spawner lost its channel')
    const child = fork(spawnerFile, [], {
      env: this.environment(), execArgv: loaderFlags(spawnerFile), serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    child.on('message', (message: FromSpawner) => this.#receive(message))
    child.once('exit', (code, signal) => {
      this.#lost(child, `the local command spawner (pid ${child.pid}) ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`)
    })
    child.once('error', (error) => this.#lost(child, `the local command spawner failed: ${error.message}`))
    this.#child = child
    return child
  }

  #receive(message: FromSpawner): void {
    const run = this.#runs.get(message.id)
    if (!run) return
    switch (message.kind) {
      case 'started': {
        const started = { pid: message.pid, startTime: message.startTime }
        run.onStarted(started)
        run.started.resolve(started)
        return
      }
      case 'failed': this.#end(message.id); run.started.reject(new Error(message.message)); return
      case 'output': run.onOutput(message.stream, Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength)); return
      case 'exit': run.exited.resolve({ code: message.code, signal: message.signal }); return
      case 'drained': this.#end(message.id); run.drained.resolve()
    }
  }

  /** Every run of `child` fails: what was not settled rejects with SpawnerLost. */
  #lost(child: ChildProcess, why: string): void {
    if (this.#child !== child) return
    this.#child = null
    if (child.connected) child.disconnect()
    const runs = [...this.#runs.values()]
    this.#runs.clear()
    for (const run of runs) {
      const beforeStart = !run.started.settled
      const error = new SpawnerLost(beforeStart ? `${why} before the command was reported started` : `${why} while the command ran`, beforeStart)
      run.started.reject(error)
      run.exited.reject(error)
      run.drained.reject(error)
    }
  }

  #end(id: number): void {
    this.#runs.delete(id)
    if (this.#runs.size === 0) this.#release()
  }

  /** While a command runs, the spawner and its channel keep the server's event loop alive, as a child would. */
  #hold(): void {
    this.#child?.ref()
    this.#child?.channel?.ref()
  }

  #release(): void {
    this.#child?.unref()
    this.#child?.channel?.unref()
  }
}

/**
 * The node flags the spawner starts with: none for the built server; from source, the server's flags that load
 * tsx (the project's TypeScript loader) — not a test runner's or a profiler's, which would slow it or collide.
 */
function loaderFlags(file: string): string[] {
  if (!file.endsWith('.ts')) return []
  const flags: string[] = []
  const args = process.execArgv
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const joined = /^--(import|require|loader|experimental-loader)=(.*)$/.exec(arg)
    if (joined && /tsx/.test(joined[2]!)) flags.push(arg)
    else if (/^(--(import|require|loader|experimental-loader)|-r)$/.test(arg) && /tsx/.test(args[i + 1] ?? '')) flags.push(arg, args[++i]!)
  }
  return flags
}

interface Deferred<T> {
  promise: Promise<T>
  settled: boolean
  resolve(value: T): void
  reject(error: unknown): void
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  promise.catch(() => {})
  const d: Deferred<T> = {
    promise, settled: false,
    resolve: (value) => { if (!d.settled) { d.settled = true; resolve(value) } },
    reject: (error) => { if (!d.settled) { d.settled = true; reject(error) } },
  }
  return d
}
