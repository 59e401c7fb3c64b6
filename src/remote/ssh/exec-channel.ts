import type { Client, ClientChannel } from 'ssh2'
import { channelError } from './ssh-errors.js'

/**
 * Opens an exec channel; a refusal becomes channel_open_failed, a dead connection connection_lost. The channel
 * asks for no environment variables, no agent forwarding and no terminal: a command on the host starts from its
 * login's environment, never from the server's (SECRET_KEY, the SSH passwords). `onOpen`
 * runs synchronously inside ssh2's callback: a short command's exit status can arrive in the same read as
 * the confirmation, and ssh2 emits 'exit' once, at once, so a listener attached after an await misses it.
 */
export function openExec(client: Client, command: string, where: string, chain: string,
  onOpen: (channel: ClientChannel) => void = () => {}): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (error, channel) => {
        if (error) return reject(channelError(error, where, chain))
        onOpen(channel)
        resolve(channel)
      })
    } catch (error) {
      reject(channelError(error, where, chain))
    }
  })
}

/** Runs a short command to completion and keeps its stdout (at most `limit` bytes). */
export async function execCollect(client: Client, command: string, where: string, chain: string, limit = 64 * 1024):
  Promise<{ code: number | null; stdout: string; stderr: string }> {
  const out: Buffer[] = []
  const err: Buffer[] = []
  let size = 0
  let code: number | null = null
  const channel = await openExec(client, command, where, chain, (ch) => ch.on('exit', (c: number | null) => { code = c }))
  return new Promise((resolve, reject) => {
    channel.on('data', (chunk: Buffer) => { if ((size += chunk.length) <= limit) out.push(chunk) })
    channel.stderr.on('data', (chunk: Buffer) => { if ((size += chunk.length) <= limit) err.push(chunk) })
    channel.on('close', () => {
      if (code === null) {
        reject(channelError(new Error('channel closed without an exit status'), where, chain))
        return
      }
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
  })
}
