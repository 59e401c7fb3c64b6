import type { Config } from '../config.js'
import type { StepDefinition } from '../workflows/definition.js'

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number
  baseDelaySeconds: number
  maxDelaySeconds: number
}

export function retryPolicyOf(step: Pick<StepDefinition, 'retry'>, config: Pick<Config,
  'MAX_RETRY_ATTEMPTS' | 'RETRY_DELAY_SECONDS' | 'RETRY_MAX_DELAY_SECONDS'>): RetryPolicy {
  return {
    maxRetries: step.retry?.count ?? config.MAX_RETRY_ATTEMPTS,
    baseDelaySeconds: step.retry?.delay_seconds ?? config.RETRY_DELAY_SECONDS,
    maxDelaySeconds: config.RETRY_MAX_DELAY_SECONDS,
  }
}

/** Fraction of the delay by which jitter may move it either way. */
export const JITTER = 0.2

/**
 * Seconds to wait before retry number `retry` (1 = the first retry): the base delay doubled per retry,
 * capped, then moved by up to ±20 % (never past the cap) so that tasks failing together do not retry in step.
 * `random` is in [0, 1).
 */
export function retryDelaySeconds(policy: RetryPolicy, retry: number, random: number = Math.random()): number {
  const exponential = Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** Math.max(0, retry - 1))
  const jittered = exponential * (1 - JITTER + 2 * JITTER * random)
  return Math.min(policy.maxDelaySeconds, Math.max(0, jittered))
}
