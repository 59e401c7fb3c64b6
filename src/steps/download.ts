import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { setTimeout as delay } from 'node:timers/promises'
import { AbortError, isAbortError } from '../remote/abort-error.js'
import type { Transport } from '../remote/transport.js'
import { reserveFile, safeFileName, storedPathOf, taskArtifactDir } from '../artifacts/artifact-files.js'
import { contentTypeOf } from '../artifacts/content-type.js'
import { listRemoteFiles, type GlobListing } from './remote-glob.js'
import type { StepContext, StepImplementation, StepOutcome } from './step-type.js'
import type { BuiltInOutputValues } from '../workflows/definition.js'

/**
 * `download`: fetches a remote file, or every match of a glob, into DATA_DIR/artifacts/<task id>/ and records
 * each one (size, sha256, content type, remote path) as an artifact the API lists and serves. One command lists
 * the matches, then each is copied by the transport (SFTP on remote hosts). With `min_files: 0` no match is a
 * success (a merge that legitimately produced nothing); a missing folder or a failing listing never is. Not interruptible: pause waits for it;
 * cancel and timeout stop it at once and delete the file being written.
 */
export const downloadStep: StepImplementation<'download'> = {
  type: 'download',
  interruptible: false,
  run: runDownload,
}

/** After an abort, how long a copy gets to let go of its file before the file is deleted. */
const SETTLE_MS = 3000

async function runDownload(ctx: StepContext<'download'>): Promise<StepOutcome> {
  const pattern = ctx.render(ctx.step.inputs.path)
  const minFiles = ctx.step.inputs.min_files ?? 1
  if (pattern.trim() === '') return { status: 'failed', error: 'path is empty', retryable: false }
  const transport = ctx.transport()
  const dataDir = ctx.dataDir
  const dir = taskArtifactDir(dataDir, ctx.task.id)
  const done: string[] = []
  const stopped = (): StepOutcome => ({
    status: 'failed', retryable: false,
    error: `stopped (${String(ctx.signal.reason ?? 'aborted')}) after ${done.length} file(s)`,
  })

  let listing: GlobListing
  try {
    listing = await listRemoteFiles(transport, pattern, ctx.signal, (stream, line) => ctx.log('debug', line, stream))
    if (listing.skipped > 0) ctx.log('warning', `${listing.skipped} match(es) skipped: a newline in the file name`)
  } catch (error) {
    if (isAbortError(error) || ctx.signal.aborted) return stopped()
    throw error
  }
  const matches = listing.files
  if (listing.missingFolder !== undefined) {
    // whatever min_files says: a folder that is not there is a wrong path or a removed tree, not "nothing produced"
    return { status: 'failed', retryable: false, error: `the folder ${listing.missingFolder} of ${pattern} does not exist on ${transport.host}` }
  }
  const total = matches.reduce((sum, m) => sum + m.size, 0)
  ctx.log('info', `${matches.length} file(s) match ${pattern} on ${transport.host} (${total} bytes)`)
  if (matches.length < minFiles) {
    return {
      status: 'failed', retryable: false,
      error: `${matches.length} file(s) match ${pattern} on ${transport.host}, at least ${minFiles} required`,
    }
  }
  if (matches.length === 0) ctx.log('info', `nothing to download: min_files is 0, so no match is a success with count 0`)

  let bytes = 0
  for (const match of matches) {
    if (ctx.signal.aborted) return stopped()
    const local = await reserveFile(dir, safeFileName(match.path))
    let size: number
    let sha256: string
    try {
      size = (await fetchUntilAborted(transport, match.path, local.path, ctx.signal)).size
      sha256 = await sha256Of(local.path, ctx.signal)
    } catch (error) {
      await rm(local.path, { force: true })
      if (isAbortError(error) || ctx.signal.aborted) return stopped()
      throw error
    }
    const stored = storedPathOf(dataDir, local.path)
    try {
      await ctx.addArtifact({
        name: local.name, path: stored, size, sha256, contentType: contentTypeOf(local.name), remotePath: match.path,
      })
    } catch (error) {
      await rm(local.path, { force: true })
      throw error
    }
    ctx.log('info', `downloaded ${match.path} → ${stored} (${size} bytes, sha256 ${sha256.slice(0, 12)}…)`)
    done.push(local.name)
    bytes += size
  }
  const outputs: BuiltInOutputValues<'download'> = { files: done, count: done.length, total_bytes: bytes }
  for (const [name, value] of Object.entries(outputs)) await ctx.setOutput(name, value)
  return { status: 'success', summary: done.length === 0 ? 'no file matched (min_files 0)' : `${done.length} file(s), ${bytes} bytes` }
}

/**
 * The transport's copy, given up at once on abort. A copy that does not watch the signal itself is given a
 * moment to let go of the file, so that the caller's delete is not undone by a late write.
 */
async function fetchUntilAborted(transport: Transport, remotePath: string, localPath: string, signal: AbortSignal) {
  const fetching = transport.fetchFile(remotePath, localPath, signal)
  fetching.catch(() => {})
  try {
    return await new Promise<Awaited<typeof fetching>>((resolve, reject) => {
      const onAbort = () => reject(new AbortError(signal.reason))
      if (signal.aborted) return onAbort()
      signal.addEventListener('abort', onAbort, { once: true })
      fetching.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
    })
  } catch (error) {
    if (signal.aborted) await Promise.race([fetching.catch(() => {}), delay(SETTLE_MS, undefined, { ref: false })])
    throw error
  }
}

async function sha256Of(path: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash, { signal })
  return hash.digest('hex')
}
