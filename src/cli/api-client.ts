import { messageOf } from '../errors.js'

/** A problem+json answer of the server: what went wrong (title, detail) and its stable code. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly title: string, readonly detail: string, readonly code: string,
    readonly body: unknown) {
    super(detail)
    this.name = 'ApiError'
  }
}

/** The server could not be reached at all (refused, no such host, reset). */
export class ConnectionError extends Error {
  constructor(readonly url: string, readonly reason: string) {
    super(`${url}: ${reason}`)
    this.name = 'ConnectionError'
  }
}

/** The REST half of the API, with the bearer token on every request. */
export class ApiClient {
  constructor(readonly baseUrl: string, readonly token: string) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body)
    return await response.json() as T
  }

  /** The raw answer of a GET that succeeded (a file to stream). */
  async fetchFile(path: string): Promise<Response> {
    return this.send('GET', path)
  }

  /** ws://…/api/ws for http://…, wss:// for https://. */
  get wsUrl(): string {
    return `${this.baseUrl.replace(/^http/, 'ws')}/api/ws`
  }

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    let response: Response
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
    } catch (error) {
      throw new ConnectionError(this.baseUrl, causeOf(error))
    }
    if (!response.ok) throw await problemOf(response)
    return response
  }
}

/** The ApiError an unsuccessful answer describes (problem+json; anything else keeps the status line). */
export async function problemOf(response: { status: number; statusText?: string; text(): Promise<string> }): Promise<ApiError> {
  const text = await response.text().catch(() => '')
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch { /* not JSON: described by the status alone */ }
  const str = (value: unknown) => (typeof value === 'string' ? value : '')
  return new ApiError(response.status, str(body.title) || response.statusText || `HTTP ${response.status}`,
    str(body.detail), str(body.code), body)
}

/** fetch() hides the reason (ECONNREFUSED, ENOTFOUND) in `cause`. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? messageOf(error)
}
