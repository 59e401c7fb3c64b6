import { once } from 'node:events'
import { createServer } from 'node:net'

/** The server cannot listen where it is told to; the message is the one line main.ts prints. */
export class ListenError extends Error {}

/**
 * Fails at once when HOST:PORT cannot be listened on, before the database is opened: a second Topup started by
 * mistake on the same port must neither migrate nor recover anything, nor make its operator wait to learn why.
 */
export async function checkCanListen(host: string, port: number): Promise<void> {
  const probe = createServer()
  try {
    probe.listen({ host, port, exclusive: true })
    await once(probe, 'listening')
  } catch (error) {
    throw await listenError(error, host, port)
  } finally {
    if (probe.listening) {
      probe.close()
      await once(probe, 'close')
    }
  }
}

/**
 * One line that says why listening failed and what to do, for a listen error (others are returned as they are);
 * `setting` names the variable that chose the port.
 */
export async function listenError(error: unknown, host: string, port: number, setting = 'PORT'): Promise<unknown> {
  const code = (error as NodeJS.ErrnoException).code
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`
  if (code === 'EADDRINUSE') {
    const topup = await topupAt(host, port)
    const who = topup ? `another Topup (${topup}) is running there`
      : 'another program listens there, most likely another Topup (one still starting, or under another name)'
    return new ListenError(`cannot listen on ${where}: port ${port} is already in use: ${who}; stop it, or set ${setting} to a free port`)
  }
  if (code === 'EACCES') return new ListenError(`cannot listen on ${where}: port ${port} needs privileges; set ${setting} to 1024 or above`)
  if (code === 'EADDRNOTAVAIL') return new ListenError(`cannot listen on ${where}: ${host} is not an address of this machine; set HOST`)
  return error
}

/** "version 1.2.0" when the program on the port answers Topup's health route, else null. */
async function topupAt(host: string, port: number): Promise<string | null> {
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host
  try {
    const res = await fetch(`http://${local}:${port}/api/health`, { signal: AbortSignal.timeout(2000) })
    const body = await res.json() as { version?: unknown }
    return typeof body.version === 'string' ? `version ${body.version}` : null
  } catch {
    return null
  }
}
