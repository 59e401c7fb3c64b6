import { open } from 'node:fs/promises'
import { findVisible, findVisibleTask } from '../../auth/access.js'
import { principalOf } from '../../auth/plugin.js'
import { findArtifact, listTaskArtifacts } from '../../db/artifact-repository.js'
import { AppError } from '../../errors.js'
import { resolveArtifactFile } from '../../artifacts/artifact-files.js'
import { safeContentType } from '../../artifacts/content-type.js'
import { toArtifact } from '../mappers.js'
import type { RouteModule } from '../route-module.js'
import { ArtifactFileResponse, ArtifactListQuery, ArtifactListSchema } from '../schemas/artifacts.js'
import { IdParams, problems } from '../schemas/common.js'

/**
 * Files brought back by `download` steps. Both routes follow the task routes' visibility: another user's task
 * (and so its files) is "not found" unless the caller is an admin. A file is only ever served from inside
 * DATA_DIR/artifacts, whatever its database row says.
 */
export const artifactRoutes: RouteModule = async (app, deps) => {
  app.get('/tasks/:id/artifacts', {
    schema: {
      tags: ['artifacts'], summary: 'Files a task downloaded',
      description: 'Every file its `download` steps fetched, oldest first, with size, SHA-256 and content type. '
        + 'Fetch one with GET /api/artifacts/{id}.',
      params: IdParams, querystring: ArtifactListQuery,
      response: { 200: ArtifactListSchema, ...problems(400, 401, 404) },
    },
  }, async (request) => {
    const task = await findVisibleTask(deps.db, principalOf(request), request.params.id)
    const { limit, offset } = request.query
    const { rows, total } = await listTaskArtifacts(deps.db, task.id, { limit, offset })
    return { items: rows.map(toArtifact), total, limit, offset }
  })

  app.get('/artifacts/:id', {
    schema: {
      tags: ['artifacts'], summary: 'Download one file',
      description: 'Streams the file as an attachment (`Content-Disposition` with an ASCII fallback name and the '
        + 'UTF-8 name, so Chinese names survive). 404 when the artifact, its task (for this caller) or the file is gone.',
      params: IdParams,
      response: { 200: ArtifactFileResponse, ...problems(400, 401, 404) },
    },
  }, async (request, reply) => {
    const id = request.params.id
    const artifact = await findVisible(deps.db, principalOf(request), 'artifact', id, findArtifact)
    const resolved = await resolveArtifactFile(deps.config.DATA_DIR, artifact.output_path)
    if (resolved.kind === 'outside') {
      request.log.warn({ artifact_id: id }, 'artifact path points outside the artifacts folder; refused')
      throw new AppError('not_found', `artifact ${id} not found`)
    }
    const handle = resolved.kind === 'file' ? await open(resolved.path, 'r').catch(() => null) : null
    if (!handle) throw new AppError('not_found', `the file of artifact ${id} (${artifact.output_name}) is missing`)
    const stat = await handle.stat()
    if (!stat.isFile()) {
      await handle.close()
      throw new AppError('not_found', `the file of artifact ${id} (${artifact.output_name}) is missing`)
    }
    return reply
      .header('content-type', safeContentType(artifact.content_type))
      .header('content-length', stat.size)
      .header('content-disposition', contentDisposition(artifact.output_name))
      .header('x-content-type-options', 'nosniff')
      .send(handle.createReadStream())
  })
}

/** RFC 6266: a plain ASCII `filename` for old clients and the exact name as RFC 8187 `filename*`. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
