import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createBody, TASKS } from './fixture.js'
import { load, type LoadFigure, type LoadTarget } from './load.js'
import { alternating, median, type SpeedRow } from './row.js'

interface ServerInfo { port: number; token?: string; taskId?: number }

/** The goals of the speed issue, as throughput ratios against the bare route. */
const goals: Record<string, number> = { detail: 0.5, list: 0.4, create: 0.25 }

/**
 * GET /api/tasks/{id}, GET /api/tasks?limit=50 (1000 tasks) and POST /api/tasks against the real app (buildApp on
 * a real SQLite file, in a process of its own: bench/speed/server.ts), with and without the prepared-statement
 * cache, beside a bare Fastify route answering the same bodies; `connections` keep-alive loops for `seconds` per
 * measure, variant and round.
 */
export async function restRows(options: { rounds: number; seconds: number; connections: number; dir: string }): Promise<SpeedRow[]> {
  const { rounds, seconds, connections, dir } = options
  const children: ChildProcess[] = []
  const start = async (mode: string, arg: string): Promise<ServerInfo> => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('server.ts', import.meta.url)), mode, arg],
      { stdio: ['pipe', 'pipe', 'inherit'] })
    children.push(child)
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${mode} server exited (${code})`))))
    const line = createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()
    const { value } = await Promise.race([line, exited])
    return JSON.parse(value as string) as ServerInfo
  }
  try {
    const topupDir = join(dir, 'topup'), uncachedDir = join(dir, 'uncached')
    mkdirSync(topupDir); mkdirSync(uncachedDir)
    const servers: Record<string, ServerInfo> = { topup: await start('topup', topupDir), 'topup-uncached': await start('topup-uncached', uncachedDir) }
    const targets = (s: ServerInfo): Record<string, Omit<LoadTarget, 'port'> & { name: string }> => {
      const headers: Record<string, string> = s.token ? { authorization: `Bearer ${s.token}` } : {}
      return {
        detail: { name: 'GET /api/tasks/{id}', method: 'GET', path: `/api/tasks/${s.taskId ?? 1}`, headers, status: 200 },
        list: { name: `GET /api/tasks?limit=50 (${TASKS} tasks)`, method: 'GET', path: '/api/tasks?limit=50', headers, status: 200 },
        create: { name: 'POST /api/tasks', method: 'POST', path: '/api/tasks', headers, body: JSON.stringify(createBody), status: 201 },
      }
    }

    // the bare routes answer what the app answers
    const topup = servers.topup!
    const fetchBody = async (t: Omit<LoadTarget, 'port'>) => {
      const res = await fetch(`http://127.0.0.1:${topup.port}${t.path}`, { method: t.method, headers: { ...t.headers, ...(t.body ? { 'content-type': 'application/json' } : {}) }, ...(t.body ? { body: t.body } : {}) })
      if (res.status !== t.status) throw new Error(`${t.method} ${t.path}: ${res.status} ${await res.text()}`)
      return res.json()
    }
    const bodies = Object.fromEntries(await Promise.all(Object.entries(targets(topup)).map(async ([k, t]) => [k, await fetchBody(t)] as const)))
    const bodiesFile = join(dir, 'bodies.json')
    writeFileSync(bodiesFile, JSON.stringify(bodies))
    servers.bare = await start('bare', bodiesFile)

    const variants = ['bare', 'topup-uncached', 'topup'] as const
    const rows: SpeedRow[] = []
    for (const [measure, target] of Object.entries(targets(topup))) {
      const bytes = Buffer.byteLength(JSON.stringify(bodies[measure]))
      const runs: Record<string, LoadFigure[]> = Object.fromEntries(variants.map((v) => [v, []]))
      const at = (v: string) => ({ ...targets(servers[v]!)[measure]!, port: servers[v]!.port })
      for (const v of variants) await load(at(v), connections, 1) // warm-up
      for (const v of alternating(variants, rounds)) runs[v]!.push(await load(at(v), connections, seconds))
      const m = (v: string) => ({ perSecond: median(runs[v]!.map((f) => f.perSecond)), p99Ms: median(runs[v]!.map((f) => f.p99Ms)) })
      const [b, u, c] = [m('bare'), m('topup-uncached'), m('topup')]
      const ratio = c.perSecond / b.perSecond
      rows.push({
        measure: `${target.name}, ${bytes} B`, baseline: cell(b), before: cell(u), topup: cell(c), ratio,
        goal: `≥ ${goals[measure]}`, met: ratio >= goals[measure]!,
        figures: { unit: 'req/s', bodyBytes: bytes, baseline: b, uncached: u, topup: c, ratioUncached: u.perSecond / b.perSecond, runs },
      })
    }
    return rows
  } finally {
    for (const child of children) child.kill()
  }
}

const cell = (f: { perSecond: number; p99Ms: number }) => `${perSecond(f.perSecond)} req/s, p99 ${f.p99Ms.toFixed(1)} ms`

/** 12.3 k, 1.23 k or 123. */
export const perSecond = (n: number) => n >= 10_000 ? `${(n / 1000).toFixed(1)} k` : n >= 1000 ? `${(n / 1000).toFixed(2)} k` : n.toFixed(0)
