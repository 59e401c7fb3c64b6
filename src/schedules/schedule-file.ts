import { Cron } from 'croner'
import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'
import { messageOf } from '../errors.js'
import { readSettingsFile, withEntryDefaults } from '../settings-file.js'
import { describeParameterErrors, resolveParameters } from '../workflows/parameters.js'
import type { WorkflowCatalog } from '../workflows/sync.js'
import { renderScheduleParameters } from './date-template.js'

export const catchUpPolicies = ['none', 'latest', 'all'] as const

/** One schedule of SCHEDULES_FILE. */
export const ScheduleSchema = Type.Object({
  cron: Type.String({ minLength: 1, description: 'cron expression (5 fields, or 6 with seconds first), read in time_zone' }),
  time_zone: Type.String({ minLength: 1, default: 'Asia/Shanghai', description: 'IANA time zone of the cron expression and of schedule.date' }),
  workflow: Type.String({ minLength: 1, description: 'the workflow of the tasks it makes' }),
  parameters: Type.Record(Type.String(), Type.Unknown(), {
    default: {}, description: 'task parameters; strings may hold {{ schedule.date | minus_days(n) | yymmdd }}',
  }),
  user: Type.String({ minLength: 1, maxLength: 100, default: 'topup', description: 'whose tasks they are (their created_by is schedule:<name>)' }),
  task_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'may hold date placeholders too' })),
  start: Type.Boolean({ default: true, description: 'queue each task at once (false: it waits pending for someone to start it)' }),
  catch_up: Type.Enum(catchUpPolicies, {
    default: 'latest', description: 'after downtime: none (skip what was missed), latest (the last missed firing), all (each, up to SCHEDULE_CATCH_UP_MAX)',
  }),
  enabled: Type.Boolean({ default: true }),
}, { additionalProperties: false })

export const SchedulesFileSchema = Type.Object({
  schedules: Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }), ScheduleSchema),
}, { additionalProperties: false })

export type ScheduleConfig = Static<typeof ScheduleSchema>
export interface Schedule extends ScheduleConfig {
  name: string
  /** The parsed expression (croner), paused: it computes firing times and never runs anything itself. */
  times: Cron
}

export class ScheduleFileError extends Error {}

/** Reads and checks SCHEDULES_FILE against the loaded workflows; a missing file means no schedules. */
export function loadSchedules(file: string, workflows: WorkflowCatalog): Schedule[] {
  const raw = readSettingsFile(file, (message) => new ScheduleFileError(message))
  return raw === undefined ? [] : parseSchedules(raw, workflows, file)
}

export function parseSchedules(raw: unknown, workflows: WorkflowCatalog, source = 'schedules'): Schedule[] {
  const value = withEntryDefaults(raw, 'schedules', ScheduleSchema)
  const error = Value.Errors(SchedulesFileSchema, value)[0]
  if (error) throw new ScheduleFileError(`${source}: ${error.instancePath || '/'} ${error.message}`)
  return Object.entries((value as Static<typeof SchedulesFileSchema>).schedules).map(([name, config]) => {
    const at = `${source}: schedule "${name}"`
    let times: Cron
    try {
      new Intl.DateTimeFormat('en', { timeZone: config.time_zone })
      times = new Cron(config.cron, { timezone: config.time_zone, paused: true })
    } catch (e) {
      throw new ScheduleFileError(`${at}: ${messageOf(e)}`)
    }
    const workflow = workflows.get(config.workflow)
    if (!workflow) throw new ScheduleFileError(`${at}: workflow "${config.workflow}" is not loaded`)
    // a trial rendering: a bad placeholder or parameter stops the start, not the first firing weeks later
    let sample: Record<string, unknown>
    try {
      sample = renderScheduleParameters(config.parameters, new Date(), config.time_zone)
      if (config.task_name !== undefined) renderScheduleParameters({ task_name: config.task_name }, new Date(), config.time_zone)
    } catch (e) {
      throw new ScheduleFileError(`${at}: ${messageOf(e)}`)
    }
    const resolved = resolveParameters(workflow.definition.parameters, sample)
    if (!resolved.ok) throw new ScheduleFileError(`${at}: ${describeParameterErrors(resolved.errors)}`)
    return { name, ...config, times }
  })
}
