import t from 'tap'
import { recoveryDecision, restartReason, type RecoveryChoice, type RecoveryInput } from '../../src/engine/recovery-decision.js'
import { PAUSE_REASON } from '../../src/engine/step-decision.js'

// What recovery does with a task left without a runner: the task's status at the stop × the step it interrupted
// (none, one that can continue from its progress, an idempotent one, neither).

const step = (kind: 'resumable' | 'idempotent' | 'neither'): RecoveryInput['interrupted'] =>
  ({ stepId: 'long', resumable: kind === 'resumable', idempotent: kind === 'idempotent' })
const interrupted = restartReason('long')

const table: Array<[RecoveryInput['status'], 'none' | 'resumable' | 'idempotent' | 'neither', RecoveryChoice]> = [
  ['running', 'none', { to: 'queued', reason: 'recovered after restart', note: null }],
  ['running', 'resumable', { to: 'queued', reason: 'recovered after restart', note: `${interrupted}: continuing from its saved progress` }],
  ['running', 'idempotent', { to: 'queued', reason: 'recovered after restart', note: `${interrupted}: running it again (idempotent)` }],
  ['running', 'neither', { to: 'paused', reason: interrupted, note: `${interrupted}: paused for review` }],
  // A pause that was asked for is honoured; its reason says so unless the step cannot simply be continued.
  ['pausing', 'none', { to: 'paused', reason: PAUSE_REASON, note: null }],
  ['pausing', 'resumable', { to: 'paused', reason: PAUSE_REASON, note: `${interrupted}: paused for review` }],
  ['pausing', 'idempotent', { to: 'paused', reason: interrupted, note: `${interrupted}: paused for review` }],
  ['pausing', 'neither', { to: 'paused', reason: interrupted, note: `${interrupted}: paused for review` }],
]

for (const [status, kind, expected] of table) {
  t.test(`${status}, interrupted step: ${kind}`, async (t) => {
    t.same(recoveryDecision({ status, interrupted: kind === 'none' ? null : step(kind) }), expected)
  })
}

t.test('a step both resumable and idempotent continues rather than runs again', async (t) => {
  t.match(recoveryDecision({ status: 'running', interrupted: { stepId: 'long', resumable: true, idempotent: true } }),
    { to: 'queued', note: /continuing from its saved progress/ })
})
