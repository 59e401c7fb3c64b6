import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { describeFault, storageFault, type StorageFault } from '../db/storage-fault.js'
import { AppError, plainServerErrors, problem, toProblem, type ErrorCode, type FieldError, type Problem } from '../errors.js'

/** Fastify's own client errors, by code, mapped to ours. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_body',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed_body',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_NOT_FOUND: 'route_not_found',
  FST_ERR_BAD_URL: 'validation_failed',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
}

const byStatus: Record<number, ErrorCode> = {
  400: 'malformed_body', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed',
  413: 'payload_too_large', 414: 'uri_too_long', 415: 'unsupported_media_type', 429: 'rate_limited', 503: 'service_unavailable',
}

function validationErrors(error: FastifyError): FieldError[] {
  const context = error.validationContext ?? 'request'
  return (error.validation ?? []).map((v) => {
    const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty
    const path = `${v.instancePath ?? ''}${missing ? `/${missing}` : ''}`.replace(/^\//, '').replaceAll('/', '.')
    return { field: path ? `${context}.${path}` : context, message: v.message ?? 'is invalid' }
  })
}

/** A full disk is 507 (space must be freed); any other storage fault is 503 (the server's storage is failing). */
function storageProblem(fault: StorageFault, requestId: string): Problem {
  const advice = fault.kind === 'full'
    ? 'try again once space has been freed on the server'
    : 'try again later, and tell the administrator if it persists'
  return problem(fault.kind === 'full' ? 'storage_full' : 'storage_error',
    `${describeFault(fault)}, so this request could not be completed: ${advice} (request id ${requestId})`)
}

/** Any thrown value → a problem; 5xx details are replaced so that internals never leave the server. */
export function problemOf(error: unknown, requestId: string): Problem {
  if (error instanceof AppError) {
    if (error.status < 500) return toProblem(error)
    if (!plainServerErrors.has(error.code)) return problem(error.code, `internal error (request id ${requestId})`)
    return problem(error.code, `${error.message} (request id ${requestId})`, error.errors, error.extra)
  }
  const fault = storageFault(error)
  if (fault) return storageProblem(fault, requestId)
  const fe = error as Partial<FastifyError>
  if (fe.validation) {
    const errors = validationErrors(fe as FastifyError)
    return problem('validation_failed', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors)
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500
  if (status >= 400 && status < 500) {
    const code = (fe.code ? fastifyCodes[fe.code] : undefined) ?? byStatus[status] ?? 'malformed_body'
    const p = problem(code, fe.message ?? 'bad request')
    return status === p.status ? p : { ...p, status }
  }
  return problem('internal_error', `internal error (request id ${requestId})`)
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(body)
}

/** Any error of a request → its problem+json answer (the app's error handler, also for Fastify's `frameworkErrors`). */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body = problemOf(error, request.id)
  if (body.status >= 500) request.log.error({ err: error, code: body.code }, 'request failed')
  else request.log.info({ code: body.code, detail: body.detail }, 'request rejected')
  return sendProblem(reply, body)
}

/** One error handler and one 404 handler for the whole app, both answering problem+json. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    sendProblem(reply, problem('route_not_found', `no route ${request.method} ${request.url.split('?')[0]}`)))
}
