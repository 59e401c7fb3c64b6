import { findTask } from '../../db/task-repository.js'
import { AppError } from '../../errors.js'
import { CloseCode } from '../live/protocol.js'
import { LiveHub } from '../live/live-hub.js'
import type { LiveViewer } from '../live/live-connection.js'
import type { RouteModule } from '../route-module.js'

/**
 * WebSocket /api/ws: live task events. The upgrade is authenticated like any /api request, except that the
 * token may also come as the sub-protocol `bearer.<token>` or `?token=` (browsers cannot set headers on a
 * WebSocket); a missing or bad token rejects the upgrade with a 401 problem+json. Protocol: src/api/live/.
 */
export const wsRoutes: RouteModule = async (app, deps) => {
  const hub = new LiveHub({
    events: deps.events,
    log: app.log,
    canSee: async (viewer: LiveViewer, taskId: number) => {
      const task = await findTask(deps.db, taskId)
      return task !== undefined && (viewer.isAdmin || task.user_id === viewer.id)
    },
  }, {
    heartbeatSeconds: deps.config.WS_HEARTBEAT_SECONDS,
    maxBufferedBytes: deps.config.WS_MAX_BUFFERED_BYTES,
    closeGraceMs: 2000,
    maxSubscriptions: 100,
  })
  app.addHook('onClose', async () => hub.close())

  app.route({
    method: 'GET',
    url: '/ws',
    config: { auth: false },
    schema: { tags: ['tasks'], summary: 'Live task events (WebSocket)', hide: true },
    onRequest: async (request) => {
      request.principal = app.authenticate(request, { allowQuery: true })
    },
    wsHandler: (socket, request) => {
      const principal = request.principal
      if (!principal) return socket.close(CloseCode.unauthorized, 'unauthorized')
      hub.accept(socket, { id: principal.userId, isAdmin: principal.role === 'admin' })
    },
    // A plain GET (no Upgrade header) gets a problem like every other error, not an empty 404.
    handler: async () => {
      throw new AppError('route_not_found', 'GET /api/ws is a WebSocket endpoint: connect with an Upgrade: websocket request')
    },
  })
}
