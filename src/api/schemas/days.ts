import { Type } from 'typebox'
import { TaskStatus } from '../../domain.js'
import { Nullable, Timestamp } from './common.js'

export const DaysQuery = Type.Object({
  round: Type.String({ pattern: '^round[0-9]+$', maxLength: 20, description: 'data-taking round, e.g. round18' }),
  refresh: Type.Boolean({ default: false, description: 'list the site again now instead of reusing a listing younger than DAYS_CACHE_SECONDS' }),
}, { additionalProperties: false })

const Day = Type.String({ pattern: '^[0-9]{6}$', description: 'YYMMDD' })

const DayTaskSchema = Type.Object({
  id: Type.Integer(),
  user_id: Type.String(),
  status: TaskStatus,
  status_reason: Nullable(Type.String()),
  current_step: Nullable(Type.String({ description: 'step id' })),
  current_step_name: Nullable(Type.String({ description: 'the step\'s display name, e.g. "1.4 Download merged PDF"' })),
  progress_percentage: Type.Number(),
  review_pending: Type.Boolean({ description: 'paused at a review point ("waiting for review"), waiting for a person' }),
  task_count: Type.Integer({ description: 'tasks of this day and round, this one included' }),
  created_at: Timestamp,
  updated_at: Timestamp,
}, { description: 'the latest task of topup_standard_workflow for the day and round' })

export const DayListSchema = Type.Object({
  round: Type.String(),
  host: Type.String({ description: 'where the folders were listed (the host of the standard workflow)' }),
  raw_data_dir: Type.String({ description: 'one folder per day with raw data (site variable raw_data_dir)' }),
  job_dir: Type.String({ description: 'InjSigTimeCal: a day\'s folder here means the site has processed it (site variable job_dir)' }),
  listed_at: Timestamp,
  cached: Type.Boolean({ description: 'the listing of an earlier request (younger than DAYS_CACHE_SECONDS) was reused' }),
  warning: Nullable(Type.String({ description: 'set when job_dir could not be listed: `processed` is then null' })),
  next_day: Nullable(Day),
  total: Type.Integer(),
  processed_count: Nullable(Type.Integer()),
  unprocessed_count: Nullable(Type.Integer()),
  days: Type.Array(Type.Object({
    day: Day,
    processed: Nullable(Type.Boolean()),
    next: Type.Boolean({ description: 'this is next_day' }),
    task: Nullable(DayTaskSchema),
  })),
}, {
  description: 'Every day with raw data, ascending; next_day is the earliest day the site has not processed and no '
    + 'unfinished task works on (null when there is none or processing is unknown).',
  examples: [{
    round: 'round18', host: 'beslogin', raw_data_dir: '/bes3fs/offline/data/cal/round18',
    job_dir: '/besfs5/groups/cal/topup/round18/DataValid/InjSigTimeCal', listed_at: '2025-06-26T08:00:00.000Z',
    cached: false, warning: null, next_day: '250625', total: 3, processed_count: 1, unprocessed_count: 2,
    days: [
      {
        day: '250624', processed: true, next: false,
        task: {
          id: 12, user_id: 'user123', status: 'paused', status_reason: 'waiting for review', current_step: 'download_pdf',
          current_step_name: '1.4 Download merged PDF', progress_percentage: 100, review_pending: true, task_count: 1,
          created_at: '2025-06-25T07:00:00.000Z', updated_at: '2025-06-25T07:16:00.000Z',
        },
      },
      { day: '250625', processed: false, next: true, task: null },
      { day: '250626', processed: false, next: false, task: null },
    ],
  }],
})
