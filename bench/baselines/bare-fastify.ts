import Fastify, { type FastifyInstance } from 'fastify'

/** The bodies the bare routes answer with: the real app's own answers, captured by the bench. */
export interface BareBodies { detail: unknown; list: unknown; created: unknown }

/**
 * The baseline of the REST measures: bare Fastify 5 routes (no auth, schema, database) at the same paths,
 * answering bodies of the same size and shape, serialised per request as the real app does.
 */
export function bareFastify(bodies: BareBodies): FastifyInstance {
  const app = Fastify({ logger: false })
  app.get('/api/tasks/:id', async () => bodies.detail)
  app.get('/api/tasks', async () => bodies.list)
  app.post('/api/tasks', async (_request, reply) => {
    reply.code(201)
    return bodies.created
  })
  return app
}
