import { open } from 'node:fs/promises'
import { findVisible, findVisibleTask } from '../../auth/access.js'
import { checkArtifactLink, linkQuery, signArtifactLink, type ArtifactLink } from '../../auth/artifact-link.js'
import { principalOf } from '../../auth/plugin.js'
import { findArtifact, listTaskArtifacts } from '../../db/artifact-repository.js'
import { AppError } from '../../errors.js'
import { resolveArtifactFile } from '../../artifacts/artifact-files.js'
import { safeContentType } from '../../artifacts/content-type.js'
import { toArtifact } from '../mappers.js'
import type { RouteModule } from '../route-module.js'
import { ArtifactFileQuery, ArtifactFileResponse, ArtifactListQuery, ArtifactListSchema } from '../schemas/artifacts.js'
import { IdParams, problems } from '../schemas/common.js'

/**
 * Files brought back by `download` steps. Both routes follow the task routes' visibility: another user's task
 * (and so its files) is "not found" unless the caller is an admin. A file is only ever served from inside
 * DATA_DIR/artifacts, whatever its database row says. Listed files carry a short-lived signed link (issued after
 * the same visibility check), which the download route takes instead of a bearer token.
 */
export const artifactRoutes: RouteModule = async (app, deps) => {
  app.get('/tasks/:id/artifacts', {
    schema: {
      tags: ['artifacts'], summary: 'Files a task downloaded', operationId: 'listTaskArtifacts',
      description: 'Every file its `download` steps fetched, oldest first, with size, SHA-256 and content type. '
        + 'Fetch one with GET /api/artifacts/{id} and the token, or open its `url` (no token needed, 15 minutes).',
      params: IdParams, querystring: ArtifactListQuery,
      response: { 200: ArtifactListSchema, ...problems('not_found') },
    },
  }, async (request) => {
    const task = await findVisibleTask(deps.db, principalOf(request), request.params.id)
    const { limit, offset } = request.query
    const { rows, total } = await listTaskArtifacts(deps.db, task.id, { limit, offset })
    const user = principalOf(request).userId
    const items = rows.map((row) => {
      const link = signArtifactLink(deps.secretKey, row.id, user)
      return { ...toArtifact(row), url: `/api/artifacts/${row.id}?${linkQuery(link)}`, url_expires_at: new Date(link.exp * 1000).toISOString() }
    })
    return { items, total, limit, offset }
  })

  app.get('/artifacts/:id', {
    schema: {
      tags: ['artifacts'], summary: 'Download one file', operationId: 'downloadArtifact',
      description: 'Streams the file, PDFs and PNGs `inline` (they open in a tab or in the page), others as an '
        + 'attachment (`Content-Disposition` with an ASCII fallback name and the UTF-8 name, so Chinese names survive). '
        + 'Needs the bearer token, or instead the `user`, `exp` and `sig` of a listed artifact\'s `url`: 403 '
        + '`link_expired` (list the artifacts again for a fresh one) or `link_invalid` (altered, or for another file). '
        + '404 when the artifact, its task (for this caller) or the file is gone.',
      params: IdParams, querystring: ArtifactFileQuery,
      response: { 200: ArtifactFileResponse, ...problems('link_invalid', 'link_expired', 'not_found') },
    },
    // A signed link authenticates itself; without one, the bearer token is checked here as everywhere else.
    config: { auth: false },
  }, async (request, reply) => {
    const id = request.params.id
    const { user, exp, sig } = request.query
    const artifact = user !== undefined || exp !== undefined || sig !== undefined
      ? await findLinked(id, { user: user ?? '', exp: exp ?? 0, sig: sig ?? '' })
      : await findVisible(deps.db, await app.authenticate(request), 'artifact', id, findArtifact)
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
    const type = safeContentType(artifact.content_type)
    // A PDF is shown in a frame of the page: framed by the page alone (never by another site), and without the
    // page's object-src 'none', under which Chromium's PDF viewer renders nothing
    if (/^application\/pdf\b/i.test(type)) {
      reply.header('content-security-policy', "frame-ancestors 'self'").header('x-frame-options', 'SAMEORIGIN')
    }
    return reply
      .header('content-type', type)
      .header('content-length', stat.size)
      .header('content-disposition', contentDisposition(artifact.output_name, shownInline(type)))
      .header('x-content-type-options', 'nosniff')
      .send(handle.createReadStream())
  })

  /** The artifact of a signed link: the access was checked when the link was issued; the link proves it. */
  async function findLinked(id: number, link: ArtifactLink) {
    const check = checkArtifactLink(deps.secretKey, id, link)
    if (check === 'invalid') throw new AppError('link_invalid', `this link is not valid for artifact ${id}: list the task's artifacts for a new one`)
    if (check === 'expired') throw new AppError('link_expired', `this link to artifact ${id} has expired: list the task's artifacts for a new one`)
    const artifact = await findArtifact(deps.db, id)
    if (!artifact) throw new AppError('not_found', `artifact ${id} not found`)
    return artifact
  }
}

/** PDFs and PNGs open in the browser (a tab, the page's viewer); anything else is saved. */
function shownInline(contentType: string): boolean {
  return /^(application\/pdf|image\/png)\b/i.test(contentType)
}

/** RFC 6266: a plain ASCII `filename` for old clients and the exact name as RFC 8187 `filename*`. */
export function contentDisposition(name: string, inline = false): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
