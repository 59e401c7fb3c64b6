import { createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import type { Client, SFTPWrapper } from 'ssh2'
import { TransportError, type FileStat } from '../transport.js'
import { AbortError } from '../abort-error.js'
import { channelError } from './ssh-errors.js'

const NO_SUCH_FILE = 2

/** Copies one remote file over SFTP. `~/x` means x in the login folder, where SFTP paths start anyway. */
export async function fetchOverSftp(client: Client, remotePath: string, localPath: string, signal: AbortSignal,
  where: string, chain: string): Promise<FileStat> {
  if (signal.aborted) throw new AbortError(signal.reason)
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
    client.sftp((error, s) => error ? reject(channelError(error, where, chain)) : resolve(s)))
  const path = remotePath.startsWith('~/') ? remotePath.slice(2) : remotePath
  try {
    await new Promise<void>((resolve, reject) => sftp.stat(path, (error) => {
      if (!error) return resolve()
      if ((error as Error & { code?: number }).code === NO_SUCH_FILE) {
        return reject(new TransportError('file_not_found', `no such file on ${where}: ${remotePath}`, chain, false))
      }
      reject(channelError(error, where, chain))
    }))
    try {
      await pipeline(sftp.createReadStream(path), createWriteStream(localPath), { signal })
    } catch (error) {
      if (signal.aborted) throw new AbortError(signal.reason)
      throw channelError(error, where, chain)
    }
    return { path: localPath, size: (await stat(localPath)).size }
  } finally {
    sftp.end()
  }
}
