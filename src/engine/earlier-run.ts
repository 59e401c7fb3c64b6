import type { ExecutionRow } from '../db/tables.js'
import { stopProcessGroup } from '../remote/stop-group.js'
import type { StepDefinition } from '../workflows/definition.js'
import { recordedGroup } from './cancellation.js'
import type { EventStore } from './event-store.js'
import type { TransportFor } from './transports.js'

/**
 * A detached run of the step's previous attempt that this attempt does not continue — set aside by a resume with
 * retry_from_step, or ended without success — must not go on beside a new one: its process group is stopped
 * first (a run that already ended is simply found gone). Returns why that could not be done, or null.
 */
export async function stopEarlierRun(
  deps: { store: EventStore; transportFor: TransportFor },
  at: { taskId: number; executionId: number; step: StepDefinition },
  previous: ExecutionRow | undefined, continued: boolean,
): Promise<string | null> {
  if (!previous || continued || previous.status === 'success') return null
  const group = recordedGroup(previous)
  if (!group?.detached) return null
  const run = `the earlier detached run of step ${at.step.id}${group.dir ? ` in ${group.dir}` : ''}`
  try {
    const outcome = await stopProcessGroup(deps.transportFor(at.step.host), group)
    if (outcome === 'terminated' || outcome === 'killed') {
      deps.store.log(at.taskId, at.executionId, 'info', `stopped ${run} (process group ${group.pgid}) before starting afresh`, 'engine')
    }
    return null
  } catch (error) {
    return `${(error as Error).message}: ${run} may still be going, so no new run is started`
  }
}
