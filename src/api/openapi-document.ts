import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger'
import type { FastifySchema, RouteOptions } from 'fastify'
import type { ErrorCode } from '../errors.js'
import { MAX_HEADER_BYTES } from './http-limits.js'
import { codesByStatus, PROBLEM_MEDIA_TYPE, problemResponse } from './schemas/common.js'
import { wsExtension } from './openapi-websocket.js'

declare module 'fastify' {
  interface FastifySchema {
    /** The body may be left out (the route takes none as `{}`): the document says it is not required. */
    bodyOptional?: boolean
  }
}

/**
 * What makes the OpenAPI document exact beyond what each route declares: the problems every /api route can
 * answer whatever it does, in one place, and Node's own 408 and 431; query parameters with a default are not
 * required (the server fills them in); optional bodies; the WebSocket. Only the document changes: the routes
 * validate and serialize as they declare (and build no serializer for the common problems).
 */

type SwaggerRoute = Pick<RouteOptions, 'method' | 'url'> & { wsHandler?: unknown }
interface ObjectSchema { properties?: Record<string, { default?: unknown }>; required?: string[] }

/** The problems a route under /api can answer because of what it is: its checks, its body, its path, its token. */
export function commonProblems(route: SwaggerRoute, schema: { security?: readonly unknown[]; body?: unknown }): ErrorCode[] {
  const codes: ErrorCode[] = ['validation_failed', 'internal_error', 'storage_error']
  if (schema.security?.length !== 0) codes.push('unauthorized')
  if (route.url.includes(':')) codes.push('uri_too_long')
  if (schema.body) codes.push('malformed_body', 'payload_too_large', 'unsupported_media_type')
  // Reads fail on an I/O error too (storage_error, above); only a write meets a full disk.
  if (route.method !== 'GET') codes.push('storage_full')
  return codes
}

/**
 * Answers Node itself gives before any route sees the request, with no body (src/api/http-limits.ts): to a client
 * that is too slow to send it, or whose headers are too large.
 */
const connectionAnswers = {
  408: { type: 'null', description: 'Request Timeout, no body: the headers did not arrive within HTTP_HEADERS_TIMEOUT_SECONDS or the '
    + 'whole request within HTTP_REQUEST_TIMEOUT_SECONDS; the connection is closed' },
  431: { type: 'null', description: `Request Header Fields Too Large, no body: the headers are over ${MAX_HEADER_BYTES / 1024} KiB; the connection is closed` },
}

/** Codes a problem response of problemResponse() names (its examples). */
const codesOf = (response: unknown): ErrorCode[] =>
  Object.keys((response as { content?: Record<string, { examples?: object }> } | undefined)?.content?.[PROBLEM_MEDIA_TYPE]?.examples ?? {}) as ErrorCode[]

/** Required no more: a query parameter the server gives a default. */
function defaultsOptional<T>(querystring: T): T {
  const q = querystring as ObjectSchema | undefined
  if (!q?.required) return querystring
  return { ...q, required: q.required.filter((name) => q.properties?.[name]?.default === undefined) } as T
}

/** @fastify/swagger's `transform`: each route's schema as the document shows it. */
export const documentRoute: SwaggerTransform = ({ schema, url, route }) => {
  if (!schema || schema.hide) return { schema, url }
  const { bodyOptional, ...shown } = schema
  if ((route as SwaggerRoute).wsHandler) return { schema: { ...shown, 'x-websocket': wsExtension }, url }
  if (!url.startsWith('/api/')) return { schema: shown, url }
  const response: Record<string, unknown> = { ...(shown.response as object), ...connectionAnswers }
  for (const [status, codes] of codesByStatus(commonProblems(route, shown))) {
    // merged with the codes the route names for the same status, if any
    response[status] = problemResponse(status, [...codesByStatus([...codesOf(response[status]), ...codes]).values()].flat())
  }
  return {
    schema: { ...shown, response, querystring: defaultsOptional(shown.querystring), ...(bodyOptional ? { 'x-body-optional': true } : {}) } as FastifySchema,
    url,
  }
}

interface Operation { requestBody?: { required?: boolean }; 'x-body-optional'?: boolean }
interface Document { paths?: Record<string, Record<string, Operation>> }

/** @fastify/swagger's `transformObject`: the whole document, after every route is in it. */
export const documentObject: SwaggerTransformObject = (document) => {
  const openapiObject = 'openapiObject' in document ? document.openapiObject : document.swaggerObject
  for (const operation of Object.values((openapiObject as Document).paths ?? {}).flatMap((path) => Object.values(path))) {
    if (!operation['x-body-optional']) continue
    if (operation.requestBody) operation.requestBody.required = false
    delete operation['x-body-optional']
  }
  return openapiObject
}
