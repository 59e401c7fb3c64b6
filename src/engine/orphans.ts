import type { Logger } from 'pino'
import { parseJsonColumn } from '../db/execution-repository.js'
import type { ExecutionRow, TaskWithSnapshot } from '../db/tables.js'
import { stopProcessGroup } from '../remote/stop-group.js'
import type { HostTransports } from '../remote/transport-provider.js'
import type { StepDefinition } from '../workflows/definition.js'
import type { EventStore } from './event-store.js'
import { taskSteps } from './snapshot.js'
import { messageOf } from '../errors.js'

/**
 * Processes that no runner follows any more — the recorded process group of a step that was cancelled while no
 * runner held it, of a crashed server, or of an earlier attempt that a new one replaces — and how they are stopped.
 */

interface RecordedGroup { pgid: number; startTime: string | null; detached: boolean; dir: string | null }

/** The process group an execution recorded (remote_handle), if any. */
export function recordedGroup(execution: Pick<ExecutionRow, 'remote_handle'>): RecordedGroup | null {
  const handle = parseJsonColumn<{ pgid?: unknown; startTime?: unknown; detached?: unknown; dir?: unknown }>(execution.remote_handle)
  if (typeof handle?.pgid !== 'number') return null
  return {
    pgid: handle.pgid,
    // the leader's start time guards against a pid reused since it was recorded
    startTime: typeof handle.startTime === 'string' ? handle.startTime : null,
    detached: handle.detached === true,
    dir: typeof handle.dir === 'string' ? handle.dir : null,
  }
}

/**
 * Stops the process group an execution recorded on the step's host (stopProcessGroup: TERM, grace, KILL). Used
 * when no runner holds the step's AbortSignal: a cancel found after a restart or of a paused task, an orphan of
 * a crashed server. What happened goes into the task's log; a kill that failed is a warning there.
 */
export async function killRecordedProcess(
  store: EventStore, execution: ExecutionRow, task: TaskWithSnapshot, transports: HostTransports, logger: Logger,
): Promise<void> {
  const group = recordedGroup(execution)
  if (!group) return
  const step = taskSteps(task).find((s) => s.id === execution.step_name)
  const line = { taskId: task.id, executionId: execution.id, source: 'engine' }
  try {
    const outcome = await stopProcessGroup(transports.transportFor(step?.host), group)
    if (outcome === 'gone' || outcome === 'reused') return
    logger.info({ task_id: task.id, execution_id: execution.id, pgid: group.pgid }, 'killed the process group of a stopped step')
    store.log({ ...line, level: 'info', message: `process group ${group.pgid} of step ${execution.step_name} killed` })
  } catch (error) {
    logger.warn({ err: error, task_id: task.id, pgid: group.pgid }, 'could not kill the process group of a stopped step')
    store.log({ ...line, level: 'warning', message: `${messageOf(error)}; it may still run` })
  }
}

/**
 * A detached run of the step's previous attempt that this attempt does not continue — set aside by a resume with
 * retry_from_step, or ended without success — must not go on beside a new one: its process group is stopped
 * first (a run that already ended is simply found gone). Returns why that could not be done, or null.
 */
export async function stopEarlierRun(
  deps: { store: EventStore; transports: HostTransports },
  at: { taskId: number; executionId: number; step: StepDefinition },
  previous: ExecutionRow | undefined, continued: boolean,
): Promise<string | null> {
  if (!previous || continued || previous.status === 'success') return null
  const group = recordedGroup(previous)
  if (!group?.detached) return null
  const run = `the earlier detached run of step ${at.step.id}${group.dir ? ` in ${group.dir}` : ''}`
  try {
    const outcome = await stopProcessGroup(deps.transports.transportFor(at.step.host), group)
    if (outcome === 'terminated' || outcome === 'killed') {
      deps.store.log({
        taskId: at.taskId, executionId: at.executionId, level: 'info', source: 'engine',
        message: `stopped ${run} (process group ${group.pgid}) before starting afresh`,
      })
    }
    return null
  } catch (error) {
    return `${messageOf(error)}: ${run} may still be going, so no new run is started`
  }
}
