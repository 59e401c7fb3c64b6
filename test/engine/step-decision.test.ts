import t from 'tap'
import {
  decide, PAUSE_REASON, requestedStop, REVIEW_REASON, reviewReason, type AttemptResult, type DecisionInput,
} from '../../src/engine/step-decision.js'

// decide() on the stops that can come during an attempt; the rest of its cases run through the engine tests.

const ok: AttemptResult = { status: 'success', error: null, retryable: false, summary: null }
const failed: AttemptResult = { status: 'failed', error: 'boom', retryable: true, summary: null }
const interrupted: AttemptResult = { status: 'interrupted', error: null, retryable: true, summary: null }
const base: DecisionInput = {
  result: ok, stop: null, stepId: 's', onFailure: 'stop', pauseAfter: false, retriesLeft: false, isLast: false,
}
const decision = (input: Partial<DecisionInput>) => decide({ ...base, ...input }).decision

t.test('the stop a task status asks for; shutdown only when the task asks for none', async (t) => {
  t.equal(requestedStop('cancelling', true), 'cancel')
  t.equal(requestedStop('pausing', true), 'pause')
  t.equal(requestedStop('running', true), 'shutdown')
  t.equal(requestedStop('running', false), null)
  t.equal(requestedStop(undefined, false), null)
})

t.test('shutdown halts where the task could go on, and leaves what settles the task alone', async (t) => {
  const stop = 'shutdown' as const
  t.same(decision({ stop }), { kind: 'halt', at: 'next' }, 'a success: halted before the next step')
  t.same(decision({ stop, isLast: true }), { kind: 'succeed' }, 'the last step succeeded: the task succeeds')
  t.same(decision({ stop, pauseAfter: true }), { kind: 'pause', at: 'next', reason: REVIEW_REASON }, 'a review checkpoint still pauses')
  t.same(decision({ stop, result: interrupted }), { kind: 'halt', at: 'same' }, 'a step it stopped runs again later')
  t.same(decision({ stop, result: { ...failed, review: true } }), { kind: 'halt', at: 'same' })
  t.same(decision({ stop, result: failed, hostDown: 'host x unreachable' }), { kind: 'halt', at: 'same' })
  t.same(decision({ stop, result: failed, retriesLeft: true }), { kind: 'halt', at: 'same' }, 'no retry during shutdown')
  t.same(decision({ stop, result: failed, onFailure: 'continue' }), { kind: 'halt', at: 'next' })
  t.same(decision({ stop, result: failed, onFailure: 'pause' }), { kind: 'pause', at: 'same', reason: reviewReason('s', 'boom') })
  t.same(decision({ stop, result: failed }), { kind: 'fail', message: 'step s failed: boom' })
})

t.test('a pause request pauses at the boundary the attempt reached; a cancel always cancels', async (t) => {
  t.same(decision({ stop: 'pause' }), { kind: 'pause', at: 'next', reason: PAUSE_REASON })
  t.same(decision({ stop: 'pause', result: interrupted }), { kind: 'pause', at: 'same', reason: PAUSE_REASON })
  t.same(decision({ stop: 'pause', result: failed, retriesLeft: true }), { kind: 'pause', at: 'same', reason: PAUSE_REASON })
  t.same(decision({ stop: 'pause', result: failed, hostDown: 'host x unreachable' }), { kind: 'pause', at: 'same', reason: 'host x unreachable' })
  t.same(decide({ ...base, stop: 'cancel' }), { decision: { kind: 'cancel' }, executionStatus: 'success' })
  t.same(decide({ ...base, stop: 'cancel', result: failed }), { decision: { kind: 'cancel' }, executionStatus: 'cancelled' })
})
