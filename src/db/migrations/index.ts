import type { Migration } from './migration.js'
import { initial } from './0001-initial.js'
import { enumChecks } from './0002-enum-checks.js'
import { remoteJobs } from './0003-remote-jobs.js'
import { concurrencyKey } from './0004-concurrency-key.js'
import { revokedTokens } from './0005-revoked-tokens.js'
import { schedules } from './0006-schedules.js'
import { actionIndex } from './0007-action-index.js'
import { notifications } from './0008-notifications.js'
import { executionStepIndex } from './0009-execution-step-index.js'
import { taskSnapshots } from './0010-task-snapshots.js'

/**
 * Every migration, in order: a database at schema_version N has run the first N. Imported, not read from the
 * folder, so the list is the same under tsx (src/) and compiled (dist/). Append only; never edit an applied one.
 */
export const migrations: readonly Migration[] = [
  initial, enumChecks, remoteJobs, concurrencyKey, revokedTokens, schedules, actionIndex, notifications, executionStepIndex,
  taskSnapshots,
]
