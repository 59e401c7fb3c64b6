import type { PollTiming } from '../batch/poller.js'
import type { Config } from '../config.js'

export type JobPollConfig = Pick<Config, 'JOB_POLL_MIN_SECONDS' | 'JOB_POLL_MAX_SECONDS' | 'JOB_LAG_SECONDS' | 'JOB_POLL_FAILURES'>

/** A status command may take this long before the poll counts as failed. */
const POLL_TIMEOUT_MS = 120_000

/** The poll timing of one host: the configured one, its minimum raised to the host's own when it has one. */
export function pollTiming(config: JobPollConfig, hostMinSeconds?: number): PollTiming {
  const min = Math.max(config.JOB_POLL_MIN_SECONDS, hostMinSeconds ?? 0) * 1000
  return {
    minIntervalMs: min,
    maxIntervalMs: Math.max(min, config.JOB_POLL_MAX_SECONDS * 1000),
    lagWindowMs: config.JOB_LAG_SECONDS * 1000,
    timeoutMs: POLL_TIMEOUT_MS,
  }
}
