import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type { FastifyInstance } from 'fastify'

/**
 * The only files of node_modules the page may load, by the name it fetches them as (public/index.html maps
 * `preact`, `preact/hooks` and `htm` to `vendor/<name>` in its import map): each package's browser ES module,
 * which lies beside the entry Node resolves. An allow-list, not a static folder: node_modules holds the server's
 * own packages too, and none of them is the browser's business.
 */
const pageModules: Record<string, { specifier: string; file: string }> = {
  'preact.js': { specifier: 'preact', file: 'preact.module.js' },
  'preact-hooks.js': { specifier: 'preact/hooks', file: 'hooks.module.js' },
  'htm.js': { specifier: 'htm', file: 'htm.module.js' },
}

const require = createRequire(import.meta.url)

/** GET /vendor/<name>: one allow-listed ES module from node_modules (registered beside @fastify/static). */
export async function pageModuleRoutes(app: FastifyInstance): Promise<void> {
  const files = new Map(Object.entries(pageModules)
    .map(([name, { specifier, file }]) => [name, { dir: dirname(require.resolve(specifier)), file }]))
  app.get<{ Params: { name: string } }>('/vendor/:name', { schema: { hide: true } }, async (request, reply) => {
    const found = files.get(request.params.name)
    if (!found) return reply.callNotFound()
    return reply.sendFile(found.file, found.dir)
  })
}
