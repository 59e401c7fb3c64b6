import type { Client, ClientChannel } from 'ssh2'
import { channelError } from './ssh-errors.js'

/** Opens an exec channel; a refusal becomes channel_open_failed, a dead connection connection_lost. */
export function openExec(client: Client, command: string, where: string, chain: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (error, channel) => error ? reject(channelError(error, where, chain)) : resolve(channel))
    } catch (error) {
      reject(channelError(error, where, chain))
    }
  })
}

/** Runs a short command to completion and keeps its stdout (at most `limit` bytes). */
export async function execCollect(client: Client, command: string, where: string, chain: string, limit = 64 * 1024):
  Promise<{ code: number | null; stdout: string; stderr: string }> {
  const channel = await openExec(client, command, where, chain)
  return new Promise((resolve, reject) => {
    const out: Buffer[] = []
    const err: Buffer[] = []
    let size = 0
    let code: number | null = null
    channel.on('data', (chunk: Buffer) => { if ((size += chunk.length) <= limit) out.push(chunk) })
    channel.stderr.on('data', (chunk: Buffer) => { if ((size += chunk.length) <= limit) err.push(chunk) })
    channel.on('exit', (c: number | null) => { code = c })
    channel.on('close', () => {
      if (code === null) {
        reject(channelError(new Error('channel closed without an exit status'), where, chain))
        return
      }
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
  })
}
