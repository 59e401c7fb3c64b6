import { Type } from 'typebox'
import { Limit, Nullable, Offset, Timestamp, pageOf } from './common.js'

const artifactExample = {
  id: 57, name: 'Topup_250624.pdf', size: 482113,
  sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', content_type: 'application/pdf',
  remote_path: '/besfs5/users/user123/topup/250624/Topup_250624.pdf', step_id: 'download_pdf', execution_id: 12,
  created_at: '2025-06-24T09:12:03.417Z',
}

/** Files a `download` step brought back, kept under DATA_DIR/artifacts/<task id>/. */
export const ArtifactSchema = Type.Object({
  id: Type.Integer({ description: 'use with GET /api/artifacts/{id} to fetch the file' }),
  name: Type.String({ description: 'file name as stored (the remote base name; "name (2).ext" when repeated)' }),
  size: Nullable(Type.Integer({ description: 'bytes' })),
  sha256: Nullable(Type.String({ description: 'hex SHA-256 of the file' })),
  content_type: Nullable(Type.String()),
  remote_path: Nullable(Type.String({ description: 'where the file came from on the remote host' })),
  step_id: Type.String({ description: 'the download step that fetched it' }),
  execution_id: Type.Integer({ description: 'the step attempt that fetched it' }),
  created_at: Timestamp,
}, { examples: [artifactExample] })

/** A listed artifact also carries a short-lived link that needs no Authorization header (for a browser tab). */
export const ListedArtifactSchema = Type.Object({
  ...ArtifactSchema.properties,
  url: Type.String({
    description: 'GET /api/artifacts/{id}?user=&exp=&sig=: the file without a token, for the caller only, until '
      + 'url_expires_at (15 minutes); the path is the server\'s own (behind a path prefix, put the prefix before it)',
  }),
  url_expires_at: Timestamp,
}, {
  examples: [{
    ...artifactExample,
    url: '/api/artifacts/57?user=user123&exp=1750757223&sig=3q2hKx0m2Jq8sQd3o9Yd8f6n1Rk7vV9fWq3pZr5tL0c',
    url_expires_at: '2025-06-24T09:27:03.000Z',
  }],
})

export const ArtifactListSchema = pageOf(ListedArtifactSchema, 'files downloaded by the task\'s steps, oldest first')

export const ArtifactListQuery = Type.Object({ limit: Limit(100, 1000), offset: Offset })

/** Either a bearer token or all three of a listed artifact's `url`; a link is refused 403 link_invalid / link_expired. */
export const ArtifactFileQuery = Type.Object({
  user: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'signed link: the user it was issued to' })),
  exp: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 40, description: 'signed link: expiry, Unix seconds' })),
  sig: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'signed link: its signature' })),
})

/** The file itself: for the OpenAPI document only (a stream is sent as is). */
export const ArtifactFileResponse = {
  description: 'the file\'s bytes, with its Content-Type, Content-Length and Content-Disposition (inline for PDF and PNG, attachment otherwise)',
  content: { 'application/octet-stream': { schema: Type.Unsafe<unknown>({ type: 'string', format: 'binary' }) } },
}
