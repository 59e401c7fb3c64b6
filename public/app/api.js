import { t } from './i18n.js'

/** The REST API, by relative address (`api/…` beside the page), with the session's token. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`)
    this.status = status
    this.code = problem?.code
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

/** A file of the API (an artifact) opened in a new tab: fetched with the token, shown from memory. */
export async function openFile(path) {
  const tab = window.open('', '_blank')
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } })
  if (res.status === 401) onUnauthorized()
  if (!res.ok) { tab?.close(); throw new ApiError(res.status, null) }
  const url = URL.createObjectURL(await res.blob())
  if (tab) tab.location.href = url
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}
