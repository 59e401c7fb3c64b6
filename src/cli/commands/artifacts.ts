import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ApiClient } from '../api-client.js'
import { noMorePositionals, parseCommand, taskIdOf } from '../args.js'
import type { ArtifactList } from '../api-types.js'
import type { Command, Context } from '../context.js'
import { CliError, ExitCode } from '../exit-codes.js'
import { bytes, dateTime } from '../output.js'

const usage = `topup artifacts <task id> [--download [folder]]
  the files the task's steps brought back; --download saves each under its name in the folder (default: here)`

type Artifact = ArtifactList['items'][number]

export const artifacts: Command = {
  usage,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(args, { download: { type: 'boolean' } }, usage)
    const id = taskIdOf(positionals[0], usage)
    noMorePositionals(positionals, values.download ? 2 : 1, usage)
    const client = ctx.client()
    const items: Artifact[] = []
    for (let offset = 0; ; offset += 1000) {
      const page = await client.request<ArtifactList>('GET', `/api/tasks/${id}/artifacts?limit=1000&offset=${offset}`)
      items.push(...page.items)
      if (items.length >= page.total || page.items.length === 0) break
    }
    const { out, t } = ctx
    if (values.download) {
      const saved = []
      for (const artifact of items) saved.push(await download(ctx, client, artifact, positionals[1] ?? '.'))
      if (out.json) out.data(saved)
      return ExitCode.ok
    }
    if (out.json) out.data({ items, total: items.length })
    else if (items.length === 0) out.note(t('artifacts.empty', { id }))
    else {
      out.table([t('col.id'), t('col.name'), t('col.size'), t('col.type'), t('col.step'), t('col.updated')],
        items.map((a) => [String(a.id), a.name, bytes(a.size), a.content_type ?? '-', a.step_id, dateTime(a.created_at)]))
    }
    return ExitCode.ok
  },
}

/**
 * Streams one file into `folder` under its own name (its base name only: a name never chooses the folder), first
 * as `<name>.part`, renamed once complete and its SHA-256 matches the server's record.
 */
async function download(ctx: Context, client: ApiClient, artifact: Artifact, folder: string) {
  const name = basename(artifact.name.replaceAll('\\', '/'))
  const file = join(folder, name === '' || name === '.' || name === '..' ? `artifact-${artifact.id}` : name)
  const partial = `${file}.part`
  await mkdir(folder, { recursive: true })
  const response = await client.fetchFile(`/api/artifacts/${artifact.id}`)
  const hash = createHash('sha256')
  let size = 0
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk)
      size += chunk.length
      done(null, chunk)
    },
  })
  try {
    await pipeline(Readable.fromWeb(response.body as never), count, createWriteStream(partial))
    const sha256 = hash.digest('hex')
    if (artifact.sha256 && sha256 !== artifact.sha256) {
      throw new CliError(ctx.t('error.checksum', { name: artifact.name, got: sha256.slice(0, 12), want: artifact.sha256.slice(0, 12) }))
    }
    await rename(partial, file)
  } finally {
    await rm(partial, { force: true })
  }
  if (!ctx.out.json) ctx.out.line(ctx.t('artifacts.saved', { file, size: bytes(size) }))
  return { id: artifact.id, name: artifact.name, file, size }
}
