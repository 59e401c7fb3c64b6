import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { FastifyInstance } from 'fastify'

/**
 * The only files of node_modules the page may load, by the name it fetches them as (public/index.html maps
 * `preact`, `preact/hooks`, `htm` and `anser` to `vendor/<name>` in its import map): each package's browser ES
 * module, which lies beside the entry Node resolves. An allow-list, not a static folder: node_modules holds the
 * server's own packages too, and none of them is the browser's business. A package that ships CommonJS only
 * (anser) is served wrapped as an ES module whose default export is its `module.exports`.
 */
const pageModules: Record<string, { specifier: string; file: string; commonjs?: true }> = {
  'preact.js': { specifier: 'preact', file: 'preact.module.js' },
  'preact-hooks.js': { specifier: 'preact/hooks', file: 'hooks.module.js' },
  'htm.js': { specifier: 'htm', file: 'htm.module.js' },
  'anser.js': { specifier: 'anser', file: 'index.js', commonjs: true },
}

const require = createRequire(import.meta.url)

/** A CommonJS file with no `require` of its own, as an ES module. */
export const wrapCommonJs = (source: string): string =>
  `const module = { exports: {} }, exports = module.exports;\n${source}\nexport default module.exports;\n`

/** GET /vendor/<name>: one allow-listed ES module from node_modules (registered beside @fastify/static). */
export async function pageModuleRoutes(app: FastifyInstance): Promise<void> {
  const files = new Map(Object.entries(pageModules).map(([name, { specifier, file, commonjs }]) => {
    const dir = dirname(require.resolve(specifier))
    return [name, { dir, file, wrapped: commonjs ? wrapCommonJs(readFileSync(join(dir, file), 'utf8')) : null }]
  }))
  app.get<{ Params: { name: string } }>('/vendor/:name', { schema: { hide: true } }, async (request, reply) => {
    const found = files.get(request.params.name)
    if (!found) return reply.callNotFound()
    if (found.wrapped !== null) return reply.type('text/javascript; charset=utf-8').send(found.wrapped)
    return reply.sendFile(found.file, found.dir)
  })
}
