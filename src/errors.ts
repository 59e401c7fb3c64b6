/**
 * Every error a client can see: a stable `code`, its HTTP status and title. Bodies are RFC 9457
 * problem+json: { type, title, status, detail, code, errors? }.
 */
export const errorCodes = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  invalid_parameters: { status: 400, title: 'Invalid workflow parameters' },
  malformed_body: { status: 400, title: 'Malformed request body' },
  unknown_step: { status: 400, title: 'Unknown step' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Forbidden' },
  link_invalid: { status: 403, title: 'Invalid file link' },
  link_expired: { status: 403, title: 'File link expired' },
  not_found: { status: 404, title: 'Not found' },
  route_not_found: { status: 404, title: 'Route not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  invalid_transition: { status: 409, title: 'Invalid task state transition' },
  workflow_not_runnable: { status: 409, title: 'Workflow is not runnable' },
  duplicate_task: { status: 409, title: 'An unfinished task for this date exists' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  uri_too_long: { status: 414, title: 'URI too long' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal server error' },
  site_listing_failed: { status: 502, title: 'Site listing failed' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
  site_unreachable: { status: 503, title: 'Site unreachable' },
  storage_error: { status: 503, title: 'Storage error' },
  storage_full: { status: 507, title: 'Insufficient storage' },
} as const

export type ErrorCode = keyof typeof errorCodes

/**
 * The 5xx codes whose detail is written for the client (what is missing, which host failed, that the disk is full),
 * never internals.
 */
export const plainServerErrors: ReadonlySet<ErrorCode> = new Set([
  'service_unavailable', 'site_listing_failed', 'site_unreachable', 'storage_error', 'storage_full',
])

export interface FieldError {
  /** JSON pointer or parameter name the error is about. */
  field: string
  message: string
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: ErrorCode
  errors?: FieldError[]
  [extra: string]: unknown
}

/** Thrown anywhere in the service; the app's error handler turns it into problem+json. */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly errors?: FieldError[]
  readonly extra?: Record<string, unknown>

  constructor(code: ErrorCode, detail: string, options: { errors?: FieldError[]; extra?: Record<string, unknown> } = {}) {
    super(detail)
    this.name = 'AppError'
    this.code = code
    if (options.errors) this.errors = options.errors
    if (options.extra) this.extra = options.extra
  }

  get status(): number {
    return errorCodes[this.code].status
  }
}

export function problem(code: ErrorCode, detail: string, errors?: FieldError[], extra?: Record<string, unknown>): Problem {
  const { status, title } = errorCodes[code]
  return {
    type: `https://topup.invalid/problems/${code.replaceAll('_', '-')}`,
    title, status, detail, code,
    ...(errors ? { errors } : {}),
    ...extra,
  }
}

export function toProblem(error: AppError): Problem {
  return problem(error.code, error.message, error.errors, error.extra)
}

/** The message of anything thrown: an Error's own message, else its text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
