import type { Transport } from '../remote/transport.js'
import type { BatchAdapter } from './adapter.js'
import { runBatchCommand } from './tool-output.js'
import type { ControlAction, ControlResult } from './types.js'

/** Cancels, holds or releases many jobs (one command per group of ids) and says which ones each refused. */
export async function controlJobs(adapter: BatchAdapter, transport: Transport, action: ControlAction,
  ids: readonly string[], signal: AbortSignal): Promise<ControlResult> {
  const result: ControlResult = { accepted: [], refused: [] }
  for (const command of adapter.controlCommands(action, ids)) {
    const answer = adapter.parseControl(command, await runBatchCommand(transport, command, signal))
    result.accepted.push(...answer.accepted)
    result.refused.push(...answer.refused)
  }
  return result
}
