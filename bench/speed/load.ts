import { Agent, request } from 'node:http'

export interface LoadTarget {
  port: number
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: string
  /** The status every answer must have; any other fails the run (a bench that measures errors measures nothing). */
  status: number
}

export interface LoadFigure { requests: number; seconds: number; perSecond: number; p50Ms: number; p99Ms: number }

/**
 * A closed-loop load generator: `connections` loops, each sending its next request as soon as the answer to the
 * last one is read, over keep-alive sockets (one each), for `seconds`.
 */
export async function load(target: LoadTarget, connections: number, seconds: number): Promise<LoadFigure> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const headers = { ...target.headers, ...(target.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(target.body)) }) }
  const latencies: number[] = []
  const started = performance.now()
  const until = started + seconds * 1000
  const once = () => new Promise<void>((resolve, reject) => {
    const t0 = performance.now()
    const req = request({ host: '127.0.0.1', port: target.port, method: target.method, path: target.path, headers, agent }, (res) => {
      res.on('data', () => {})
      res.on('end', () => {
        if (res.statusCode !== target.status) reject(new Error(`${target.method} ${target.path}: ${res.statusCode}, not ${target.status}`))
        else { latencies.push(performance.now() - t0); resolve() }
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(target.body)
  })
  const loop = async () => { while (performance.now() < until) await once() }
  try {
    await Promise.all(Array.from({ length: connections }, loop))
  } finally {
    agent.destroy()
  }
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
  return { requests: latencies.length, seconds: elapsed, perSecond: latencies.length / elapsed, p50Ms: at(0.5), p99Ms: at(0.99) }
}
