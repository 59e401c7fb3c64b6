import { Value } from 'typebox/value'
import type { TaskEvent } from '../../domain.js'
import { ClientMessageSchema, type ClientMessage } from '../schemas/events.js'

/** The sub-protocol of one JSON message per text frame; a client offers it beside `bearer.<token>` (src/auth/plugin.ts). */
export const PROTOCOL = 'topup.v1'
/**
 * The batched sub-protocol: as v1, except that the events of one send go in one frame, `{"type":"events",
 * "events":[…]}` (each task's in seq order). Chosen over v1 whenever a client offers it.
 */
export const PROTOCOL_V2 = 'topup.v2'
export type Protocol = typeof PROTOCOL | typeof PROTOCOL_V2

/** The WebSocket server's options (@fastify/websocket, registered by app.ts). */
export const serverOptions = {
  maxPayload: 64 * 1024,
  // Select only our own protocols: never echo the `bearer.<token>` entry back in a response header.
  handleProtocols: (protocols: Set<string>) =>
    (protocols.has(PROTOCOL_V2) ? PROTOCOL_V2 : protocols.has(PROTOCOL) ? PROTOCOL : false),
}

/** WebSocket close codes of this service (4000–4999 is the application range). */
export const CloseCode = {
  unauthorized: 4401,
  /** The client did not read fast enough; it should resubscribe from the last seq it has. */
  slowConsumer: 4008,
  /** RFC 6455 policy violation: the client sent messages faster than its budget allows. */
  policyViolation: 1008,
} as const

export type ErrorCode =
  | 'bad_message' | 'unknown_type' | 'validation_failed' | 'not_found' | 'too_many_subscriptions' | 'rate_limited'
  | 'internal_error'

export type ServerMessage =
  | { type: 'event'; event: TaskEvent }
  /** topup.v2 only, instead of `event` messages. */
  | { type: 'events'; events: TaskEvent[] }
  | { type: 'subscribed'; task_id: number; after_seq: number }
  | { type: 'subscribed'; scope: 'tasks' }
  | { type: 'unsubscribed'; task_id: number }
  | { type: 'unsubscribed'; scope: 'tasks' }
  | { type: 'resync'; task_id: number; after_seq: number }
  | { type: 'error'; code: ErrorCode; message: string; task_id?: number }
  | { type: 'pong' }

const knownTypes = new Set(['subscribe', 'unsubscribe', 'subscribe_tasks', 'unsubscribe_tasks', 'ping'])

export type Parsed = { ok: true; message: ClientMessage } | { ok: false; code: ErrorCode; message: string }

/** Parses one text frame; never throws. */
export function parseClientMessage(raw: string): Parsed {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return { ok: false, code: 'bad_message', message: 'message is not JSON' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'bad_message', message: 'message must be a JSON object' }
  }
  const type = (value as { type?: unknown }).type
  if (typeof type !== 'string' || !knownTypes.has(type)) {
    return { ok: false, code: 'unknown_type', message: `unknown message type; expected one of ${[...knownTypes].join(', ')}` }
  }
  if (!Value.Check(ClientMessageSchema, value)) {
    const detail = describeFields(type, value as Record<string, unknown>)
    return { ok: false, code: 'validation_failed', message: `invalid ${type} message: ${detail}` }
  }
  return { ok: true, message: value }
}

function describeFields(type: string, value: Record<string, unknown>): string {
  if (type === 'subscribe' || type === 'unsubscribe') {
    if (!isPositiveInteger(value.task_id)) return 'task_id must be a positive integer'
    if (value.after_seq !== undefined && !(Number.isInteger(value.after_seq) && (value.after_seq as number) >= 0)) {
      return 'after_seq must be an integer >= 0'
    }
  }
  return 'unexpected fields'
}

function isPositiveInteger(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 1
}
