import { visibleTask } from '../../auth/access.js'
import { AppError } from '../../errors.js'
import { CloseCode } from '../live/protocol.js'
import { LiveHub } from '../live/live-hub.js'
import { wsDescription } from '../openapi-websocket.js'
import type { RouteModule } from '../route-module.js'
import { problems } from '../schemas/common.js'

/**
 * WebSocket /api/ws: live task events. The upgrade is authenticated like any /api request, except that the
 * token may also come as the sub-protocol `bearer.<token>` or `?token=` (browsers cannot set headers on a
 * WebSocket); a missing or bad token rejects the upgrade with a 401 problem+json. Protocol: src/api/live/; as the
 * OpenAPI document describes it: src/api/openapi-websocket.ts.
 */
export const wsRoutes: RouteModule = async (app, deps) => {
  const hub = new LiveHub({
    events: deps.events,
    historyReads: deps.historyReads,
    log: app.log,
    canSee: async (viewer, taskId) => (await visibleTask(deps.db, viewer, taskId)) !== undefined,
  }, {
    heartbeatSeconds: deps.config.WS_HEARTBEAT_SECONDS,
    maxBufferedBytes: deps.config.WS_MAX_BUFFERED_BYTES,
    maxTotalBufferedBytes: deps.config.WS_MAX_TOTAL_BUFFERED_BYTES,
    closeGraceMs: 2000,
    maxSubscriptions: 100,
    messageBurst: deps.config.WS_MESSAGE_BURST,
    messagesPerSecond: deps.config.WS_MESSAGES_PER_SECOND,
  })
  const unwatch = deps.metrics?.watchLive(() => hub.stats())
  app.addHook('onClose', async () => { unwatch?.(); hub.close() })

  app.route({
    method: 'GET',
    url: '/ws',
    config: { auth: false },
    schema: {
      tags: ['tasks'], summary: 'Live task events (WebSocket)', operationId: 'liveEvents', description: wsDescription,
      response: {
        101: { description: 'Switching Protocols: the WebSocket is open (sub-protocol topup.v2 when offered, else topup.v1)' },
        ...problems('unauthorized', 'route_not_found', 'internal_error', 'storage_error'),
      },
    },
    onRequest: async (request) => {
      request.principal = await app.authenticate(request, { allowQuery: true })
    },
    wsHandler: (socket, request) => {
      const principal = request.principal
      if (!principal) return socket.close(CloseCode.unauthorized, 'unauthorized')
      hub.accept(socket, principal)
    },
    // A plain GET (no Upgrade header) gets a problem like every other error, not an empty 404.
    handler: async () => {
      throw new AppError('route_not_found', 'GET /api/ws is a WebSocket endpoint: connect with an Upgrade: websocket request')
    },
  })
}
