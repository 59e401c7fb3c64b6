import { connect, type AddressInfo, type Socket } from 'node:net'
import t from 'tap'
import { BODY_LIMIT_BYTES, EMPTY_BODY_LIMIT_BYTES } from '../../src/api/http-limits.js'
import { buildTestApp, type TestApp } from '../helpers/app.js'

/** The server's limits on what a client sends, and the security headers of every answer. */

// Short limits so that the server's own timers end each exchange quickly; the test waits for them, not for a clock.
const env = { HTTP_HEADERS_TIMEOUT_SECONDS: '0.5', HTTP_REQUEST_TIMEOUT_SECONDS: '1', HTTP_KEEP_ALIVE_SECONDS: '0.5' }

async function listening(app: TestApp['app']): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as AddressInfo).port
}

/** Opens a connection, runs `talk` on it and resolves with what the server sent once it closed the connection. */
function untilClosed(port: number, talk: (socket: Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    // A safety net only: the server is expected to close long before.
    const stuck = setTimeout(() => { socket.destroy(); reject(new Error(`the server kept the connection open; it sent: ${answer}`)) }, 20_000)
    socket.on('data', (chunk) => { answer += chunk.toString('latin1') })
    socket.on('close', () => { clearTimeout(stuck); resolve(answer) })
    socket.on('error', () => {})
    socket.on('connect', () => talk(socket))
  })
}

t.test('a client that is slow to send its headers or its body is cut off; an idle keep-alive connection is closed', async (t) => {
  const { app, tokenFor } = await buildTestApp(t, { env })
  const port = await listening(app)
  const slowHeaders = await untilClosed(port, (socket) => socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n'))
  t.match(slowHeaders, /^(HTTP\/1\.1 408 |$)/, `headers never finished: closed (${slowHeaders.split('\r\n')[0] || 'nothing sent'})`)

  const slowBody = await untilClosed(port, (socket) => socket.write(
    `POST /api/tasks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokenFor('alice')}\r\nContent-Type: application/json\r\n`
    + 'Content-Length: 100\r\n\r\n{"workflow_name"'))
  t.match(slowBody, /^(HTTP\/1\.1 408 |$)/, `body never finished: closed (${slowBody.split('\r\n')[0] || 'nothing sent'})`)

  const idle = await untilClosed(port, (socket) => socket.write('GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n'))
  t.match(idle, /^HTTP\/1\.1 200 /, 'answered, then the idle keep-alive connection was closed by the server')
  t.match(idle, /keep-alive/i)

  t.equal((await fetch(`http://127.0.0.1:${port}/api/health`)).status, 200, 'the server still answers')
})

t.test('the headers timeout may not exceed the request timeout', async (t) => {
  await t.rejects(buildTestApp(t, { env: { HTTP_HEADERS_TIMEOUT_SECONDS: '90', HTTP_REQUEST_TIMEOUT_SECONDS: '60' } }),
    /HTTP_HEADERS_TIMEOUT_SECONDS=90 is invalid: it must not exceed HTTP_REQUEST_TIMEOUT_SECONDS=60/)
})

t.test('bodies are limited per route: a little for a lifecycle action, more for a create', async (t) => {
  const { app, authFor } = await buildTestApp(t)
  const headers = { ...authFor('alice'), 'content-type': 'application/json' }
  const pause = await app.inject({ method: 'POST', url: '/api/tasks/1/pause', headers, payload: `{"x": "${'a'.repeat(EMPTY_BODY_LIMIT_BYTES)}"}` })
  t.equal(pause.statusCode, 413, `pause takes at most ${EMPTY_BODY_LIMIT_BYTES} bytes`)
  t.match(pause.json(), { code: 'payload_too_large' })
  const big = await app.inject({ method: 'POST', url: '/api/tasks', headers,
    payload: JSON.stringify({ workflow_name: 'topup_standard_workflow', task_name: 'a'.repeat(BODY_LIMIT_BYTES) }) })
  t.equal(big.statusCode, 413, `create takes at most ${BODY_LIMIT_BYTES} bytes`)
  const under = await app.inject({ method: 'POST', url: '/api/tasks', headers,
    payload: JSON.stringify({ workflow_name: 'topup_standard_workflow', task_name: 'a'.repeat(BODY_LIMIT_BYTES / 2) }) })
  t.equal(under.statusCode, 400, 'a body under the limit gets to validation (and its string is too long)')
  t.match(under.json(), { code: 'validation_failed', errors: [{ field: 'body.task_name' }] })
})

t.test('every answer carries the security headers; the policy allows the page\'s inline import map by hash', async (t) => {
  const { app, authFor } = await buildTestApp(t)
  for (const url of ['/', '/api/health', '/api/tasks', '/docs', '/docs/static/index.html', '/no-such-page']) {
    const res = await app.inject({ url, headers: authFor('alice') })
    const csp = String(res.headers['content-security-policy'])
    t.match(csp, /default-src 'self'/, `${url}: a content security policy`)
    t.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/, `${url}: scripts from the origin and the import map's hash`)
    t.match(csp, /object-src 'none'/)
    t.match(csp, /frame-ancestors 'none'/)
    const scripts = /script-src ([^;]*)/.exec(csp)?.[1] ?? ''
    t.notMatch(scripts, /unsafe/, `${url}: no inline script beyond the hash`)
    if (url.startsWith('/docs')) t.match(csp, /style-src 'self' 'unsafe-inline'/, `${url}: Swagger UI's own <style> element is allowed`)
    else t.notMatch(csp, /unsafe/, `${url}: nothing inline`)
    t.notMatch(csp, /upgrade-insecure-requests/, `${url}: plain HTTP stays usable`)
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${url}: nosniff`)
    t.equal(res.headers['x-frame-options'], 'DENY')
    t.equal(res.headers['referrer-policy'], 'no-referrer')
    t.notOk(res.headers['strict-transport-security'], 'no HSTS: a TLS proxy in front sets it')
  }
})
