import { problem, type ErrorCode, type Problem } from '../errors.js'

/**
 * A `detail` as the server writes it for each error code, for the examples of the OpenAPI document. Typed by
 * ErrorCode, so that a new code cannot be added without its example.
 */
const details: Record<ErrorCode, { detail: string; errors?: Problem['errors']; extra?: Record<string, unknown> }> = {
  validation_failed: {
    detail: 'querystring.status must be one of: pending, queued, running, pausing, paused, success, failed, cancelling, cancelled',
    errors: [{ field: 'querystring.status', message: 'must be one of: pending, queued, running, pausing, paused, success, failed, cancelling, cancelled' }],
  },
  invalid_parameters: {
    detail: 'parameter date_param: must be a date as YYMMDD (six digits, a real day, e.g. 250624)',
    errors: [{ field: 'date_param', message: 'must be a date as YYMMDD (six digits, a real day, e.g. 250624)' }],
  },
  malformed_body: { detail: 'Body is not valid JSON but content-type is set to \'application/json\'' },
  unknown_step: { detail: 'step "wait_for_jobs" is not a step of workflow topup_standard_workflow (steps: prepare, submit_jobs, wait_for_job_files)' },
  unauthorized: { detail: 'a bearer token is required (Authorization: Bearer <token>)' },
  forbidden: { detail: 'only an admin may act for another user (user_id)' },
  link_invalid: { detail: 'this link is not valid for artifact 57: list the task\'s artifacts for a new one' },
  link_expired: { detail: 'this link to artifact 57 has expired: list the task\'s artifacts for a new one' },
  not_found: { detail: 'task 42 not found' },
  route_not_found: { detail: 'GET /api/ws is a WebSocket endpoint: connect with an Upgrade: websocket request' },
  method_not_allowed: { detail: 'only GET /metrics is served here' },
  invalid_transition: { detail: 'task 42 is success: it cannot be paused', extra: { current_status: 'success' } },
  workflow_not_runnable: { detail: 'workflow topup_standard_workflow cannot run here: step types not implemented: hold_jobs' },
  duplicate_task: {
    detail: 'task 41 of topup_standard_workflow for 250624 is still running: wait for it or cancel it',
    extra: { other_task_id: 41, other_task_status: 'running' },
  },
  payload_too_large: { detail: 'Request body is too large' },
  uri_too_long: { detail: 'a path parameter is longer than 100 characters' },
  unsupported_media_type: { detail: 'Unsupported Media Type: text/plain: send application/json' },
  rate_limited: { detail: 'too many requests: retry later' },
  internal_error: { detail: 'internal error (request id 6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b)' },
  site_listing_failed: { detail: 'listing /besfs5/offline/data/randomtrg/round18 on beslogin failed: No such file or directory' },
  service_unavailable: { detail: 'too many event and log reads are waiting (HISTORY_READS_QUEUE); retry in a second' },
  site_unreachable: { detail: 'host beslogin did not answer: connect timed out after 20 s' },
  storage_error: { detail: 'the server\'s disk failed to read or write, so this request could not be completed: try again later, and tell the administrator if it persists (request id 6f1c2a9e)' },
  storage_full: { detail: 'the server\'s disk is full, so this request could not be completed: try again once space has been freed on the server (request id 6f1c2a9e)' },
}

/** The problem+json body of `code`, as an example. */
export function problemExample(code: ErrorCode): Problem {
  const { detail, errors, extra } = details[code]
  return problem(code, detail, errors, extra)
}
