import { Type } from 'typebox'
import { CloseCode, PROTOCOL, PROTOCOL_V2, serverOptions, type ErrorCode } from './live/protocol.js'
import { ClientMessageSchema, TaskEventSchema } from './schemas/events.js'

/**
 * The WebSocket /api/ws in the OpenAPI document, which has no words for one: its messages as component schemas,
 * its protocol in the operation's description and in an `x-websocket` extension that a client generator or a
 * person can read.
 */

const wsErrorCodes = ['bad_message', 'unknown_type', 'validation_failed', 'not_found', 'too_many_subscriptions',
  'rate_limited', 'internal_error'] as const satisfies readonly ErrorCode[]

const TaskId = Type.Integer({ minimum: 1 })
const Seq = Type.Integer({ minimum: 0, description: 'the last seq sent for the task' })

/**
 * Every message the server sends (src/api/live/protocol.ts ServerMessage; test/api/openapi-conformance.test.ts checks
 * every message a session gets against it).
 */
export const ServerMessageSchema = Type.Union([
  Type.Object({ type: Type.Literal('event'), event: TaskEventSchema }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('events'), events: Type.Array(TaskEventSchema, { minItems: 1 }) }, {
    additionalProperties: false, description: `${PROTOCOL_V2} only, instead of \`event\`: the events of one send, each task's in seq order`,
  }),
  Type.Object({ type: Type.Literal('subscribed'), task_id: TaskId, after_seq: Seq }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('subscribed'), scope: Type.Literal('tasks') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('unsubscribed'), task_id: TaskId }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('unsubscribed'), scope: Type.Literal('tasks') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('resync'), task_id: TaskId, after_seq: Seq }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('error'), code: Type.Union(wsErrorCodes.map((c) => Type.Literal(c))), message: Type.String(),
    task_id: Type.Optional(TaskId),
  }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('pong') }, { additionalProperties: false }),
], { description: `what the server sends on /api/ws (${PROTOCOL_V2} or ${PROTOCOL}), one JSON object per text frame` })

// The documented error codes are the server's: a code added to one and not the other does not compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const sameCodes: Same<(typeof wsErrorCodes)[number], ErrorCode> = true
void sameCodes

export const wsMessageSchemas = {
  WsClientMessage: { ...ClientMessageSchema, description: `what a client sends on /api/ws (${PROTOCOL_V2} or ${PROTOCOL}), one JSON object per text frame` },
  WsServerMessage: ServerMessageSchema,
}

export const wsCloseCodes: Record<number, string> = {
  [CloseCode.policyViolation]: 'the client sent messages faster than WS_MESSAGE_BURST / WS_MESSAGES_PER_SECOND allow '
    + '(after an error `rate_limited`); nothing it sent after is handled',
  [CloseCode.slowConsumer]: 'the client read too slowly (its send buffer passed WS_MAX_BUFFERED_BYTES, or it was the furthest '
    + 'behind when the send memory of all clients passed WS_MAX_TOTAL_BUFFERED_BYTES), after a `resync`: '
    + 'reconnect and subscribe from the `after_seq` it gave',
  [CloseCode.unauthorized]: 'the connection had no principal (never sent: an upgrade without a valid token is refused with 401)',
}

export const wsDescription = [
  `Upgrade to a WebSocket with the sub-protocol \`${PROTOCOL_V2}\` or \`${PROTOCOL}\` (the server picks ${PROTOCOL_V2} when`,
  'offered), the token as another offered sub-protocol',
  '`bearer.<token>`, as `?token=<token>` or as an `Authorization: Bearer` header; a missing or bad token is refused',
  'before the upgrade with 401 problem+json, and a plain GET (no `Upgrade: websocket`) is 404 `route_not_found`.',
  'Each text frame is one JSON object. The two protocols differ only in how events come: one `event` message per',
  `frame in ${PROTOCOL}, in ${PROTOCOL_V2} one \`{"type":"events","events":[…]}\` per send, holding every event the server had`,
  'for the connection at that moment (each task\'s in seq order; the other messages come between such frames, in order).',
  'Client → server (components/schemas/WsClientMessage):',
  '`{"type":"subscribe","task_id":N,"after_seq":K}` (every event of task N with seq > K, then live; answered first by',
  '`subscribed`; a task already followed is not replayed again), `{"type":"unsubscribe","task_id":N}`,',
  '`{"type":"subscribe_tasks"}` / `{"type":"unsubscribe_tasks"}` (live task.status and task.progress of every visible',
  'task), `{"type":"ping"}` (→ `pong`). Server → client (components/schemas/WsServerMessage): `event` or `events`, `subscribed`,',
  '`unsubscribed`, `resync` (before a close 4008), `error` (the connection stays open, except after `rate_limited`), `pong`.',
  `Close codes: ${Object.entries(wsCloseCodes).map(([code, what]) => `${code}: ${what}`).join('; ')}.`,
  'The server pings every WS_HEARTBEAT_SECONDS and drops a client that misses a pong. Treat any close as "reconnect',
  'and subscribe from my last seq"; GET /api/tasks/{id}/events is the REST fallback.',
].join(' ')

/** The `x-websocket` extension of the operation. */
export const wsExtension = {
  subprotocol: PROTOCOL,
  /** The batched sub-protocol, chosen when a client offers it. */
  batchedSubprotocol: PROTOCOL_V2,
  authentication: ['Sec-WebSocket-Protocol: bearer.<token>', 'query token=<token>', 'Authorization: Bearer <token>'],
  clientMessages: { $ref: '#/components/schemas/WsClientMessage' },
  serverMessages: { $ref: '#/components/schemas/WsServerMessage' },
  closeCodes: wsCloseCodes,
  maxMessageBytes: serverOptions.maxPayload,
}
