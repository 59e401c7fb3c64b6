/**
 * The command spawner: a small process the server forks once (spawner.ts) that starts local commands on request.
 * fork() copies the page tables of the process that calls it, so spawning from the server's big heap blocks the
 * server's event loop for milliseconds per command; from this process it costs the server one IPC message.
 * Each command is `bash -c <command>` as the leader of its own process group (the server signals the group
 * itself). When the server goes away, the spawner exits and leaves the commands running, as the server's own
 * children were left: the next start finds them through their recorded groups.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { Readable } from 'node:stream'
import { processStartTime } from './process-group.js'
import { OUTPUT_WINDOW, type FromSpawner, type SpawnRequest, type ToSpawner } from './spawner-protocol.js'

const send = process.send!.bind(process)

function start(request: SpawnRequest): void {
  const { id } = request
  let child: ChildProcess
  try {
    child = spawn('bash', ['-c', request.command], { env: request.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    send({ kind: 'failed', id, message: error instanceof Error ? error.message : String(error) } satisfies FromSpawner)
    return
  }
  const streams = [child.stdout!, child.stderr!]
  let exit: FromSpawner | null = null
  let open = 2
  let drainTimer: NodeJS.Timeout | null = null
  let unsent = 0
  const finish = () => {
    if (open > 0 || !exit) return
    if (drainTimer) clearTimeout(drainTimer)
    send(exit)
    send({ kind: 'drained', id } satisfies FromSpawner)
  }
  const follow = (stream: Readable, name: 'stdout' | 'stderr') => {
    stream.on('data', (chunk: Buffer) => {
      unsent++
      if (unsent >= OUTPUT_WINDOW) for (const s of streams) s.pause()
      send({ kind: 'output', id, stream: name, chunk } satisfies FromSpawner, undefined, {}, () => {
        if (--unsent < OUTPUT_WINDOW) for (const s of streams) if (!s.destroyed) s.resume()
      })
    })
    let closed = false
    const done = () => { if (!closed) { closed = true; open--; finish() } }
    stream.once('end', done)
    stream.once('close', done)
  }
  child.once('error', (error) => {
    if (child.pid === undefined) send({ kind: 'failed', id, message: error.message } satisfies FromSpawner)
  })
  child.once('spawn', () => {
    send({ kind: 'started', id, pid: child.pid!, startTime: processStartTime(child.pid!) } satisfies FromSpawner)
    follow(child.stdout!, 'stdout')
    follow(child.stderr!, 'stderr')
  })
  child.once('exit', (code, signal) => {
    exit = { kind: 'exit', id, code, signal }
    // A background process the command left behind may keep the pipes open: it gets drainMs, then they close.
    if (open > 0) {
      drainTimer = setTimeout(() => { for (const s of streams) s.destroy() }, request.drainMs)
    }
    finish()
  })
}

process.on('message', (message: ToSpawner) => {
  if (message.kind === 'run') start(message)
})
// The server is gone (or let the spawner go): nothing is left to report to.
process.on('disconnect', () => process.exit(0))
