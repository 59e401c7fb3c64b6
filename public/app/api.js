import { t } from './i18n.js'

/** The REST API, by relative address (`api/…` beside the page), with the session's token. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`)
    this.status = status
    this.code = problem?.code
    /** The problem as the server sent it (`errors` name the fields of a refused request). */
    this.problem = problem ?? {}
  }
}

let token = null
let onUnauthorized = () => {}

export function setCredentials(value, unauthorized) {
  token = value
  onUnauthorized = unauthorized
}

export async function api(method, path, body) {
  const headers = { authorization: `Bearer ${token}` }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    .catch(() => { throw new ApiError(0, { detail: t('common.unreachable') }) })
  if (res.status === 401) onUnauthorized()
  const type = res.headers.get('content-type') ?? ''
  const data = type.includes('json') ? await res.json() : null
  if (!res.ok) throw new ApiError(res.status, data)
  return data
}

export const get = (path) => api('GET', path)

/** A task's lifecycle action (`start`, `pause`, `resume`, `cancel`); answers the task. */
export const taskAction = (id, action, body) => api('POST', `api/tasks/${id}/${action}`, body)

/** A listed artifact's signed `url` (the server's own path, `/api/…`) as an address beside the page. */
export const fileAddress = (artifact) => artifact.url.replace(/^\/+/, '')

/** Whether a listed artifact's link still has `marginMs` to go. */
export const linkFresh = (artifact, marginMs = 30_000) => Date.parse(artifact.url_expires_at) - Date.now() > marginMs
