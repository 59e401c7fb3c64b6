import { Ajv, type ValidateFunction } from 'ajv'

/**
 * Checks a response against the app's own OpenAPI document: its status is one the operation lists, its content
 * type one that status lists, its body valid against that schema. Used by test/api/hostile-input.test.ts for
 * every request it sends, valid or not.
 */

interface Media { schema?: unknown; examples?: Record<string, unknown> }
interface Operation { responses: Record<string, { content?: Record<string, Media> }> }
export interface OpenApiDocument { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, unknown> } }
interface Response { statusCode: number; headers: Record<string, unknown>; body: string }

/** A file download is documented as bytes of any type (its own Content-Type is the file's). */
const anyBytes = 'application/octet-stream'
const problemType = 'application/problem+json'

const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')

export function conformanceChecker(doc: OpenApiDocument) {
  // OpenAPI 3.0 schemas: `nullable`, `example` and `format`s of its own beside JSON Schema; the document's
  // `#/components/...` references resolve inside it.
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true })
  ajv.addSchema(doc as object, 'openapi')
  const compiled = new Map<string, ValidateFunction>()
  const validator = (ref: string) => {
    let validate = compiled.get(ref)
    if (!validate) compiled.set(ref, validate = ajv.compile({ $ref: `openapi#/${ref}` }))
    return validate
  }

  /** What is wrong with `message` as a message the WebSocket's server sends (empty: nothing). */
  const wsMessage = (message: unknown): string[] => {
    const validate = validator(pointer('components', 'schemas', 'WsServerMessage'))
    return validate(message) ? [] : [`${JSON.stringify(message).slice(0, 120)} is not a documented message`]
  }

  /** What is wrong with `res` as an answer of `method path` (empty: nothing). */
  const response = function nonConformance(method: string, path: string, res: Response): string[] {
    const op = doc.paths[path]?.[method.toLowerCase()]
    if (!op) return [`${method} ${path} is not in the document`]
    const response = op.responses[String(res.statusCode)]
    if (!response) return [`status ${res.statusCode} is not documented (documented: ${Object.keys(op.responses).join(', ')})`]
    const content = response.content ?? {}
    const types = Object.keys(content)
    if (types.length === 0) return res.body === '' ? [] : [`status ${res.statusCode} is documented without a body, got ${res.body.slice(0, 80)}`]
    const sent = String(res.headers['content-type'] ?? '').split(';')[0]!.trim()
    const type = types.find((t) => t === sent) ?? (types.includes(anyBytes) ? anyBytes : undefined)
    if (!type) return [`content-type ${sent || '(none)'} is not documented for ${res.statusCode} (documented: ${types.join(', ')})`]
    if (type === anyBytes || !content[type]!.schema) return []
    let body: unknown
    try { body = JSON.parse(res.body) } catch { return [`body is not JSON: ${res.body.slice(0, 80)}`] }
    const validate = validator(pointer('paths', path, method.toLowerCase(), 'responses', String(res.statusCode), 'content', type, 'schema'))
    if (!validate(body)) return (validate.errors ?? []).slice(0, 5).map((e) => `body${e.instancePath} ${e.message ?? 'is invalid'}`)
    // A problem's code is one the operation names for its status (each has an example). A path value that makes
    // the URL another one (`../`, an empty segment) is answered by no operation: route_not_found, in info.description.
    const code = String((body as { code?: unknown }).code)
    const codes = type === problemType ? [...Object.keys(content[type]!.examples ?? {}), 'route_not_found'] : []
    return type === problemType && !codes.includes(code) ? [`code ${code} is not documented for ${res.statusCode} (documented: ${codes.join(', ')})`] : []
  }
  return { response, wsMessage }
}
