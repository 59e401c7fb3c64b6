import { signArtifactLink, linkQuery } from '../auth/artifact-link.js'
import type { Db } from '../db/connect.js'
import { latestPdf } from '../db/notify-repository.js'
import { findTask } from '../db/task-repository.js'
import type { TaskRow } from '../db/tables.js'
import type { TaskEvent } from '../domain.js'
import { REVIEW_REASON, reviewReason } from '../engine/step-decision.js'
import type { NotifyFact } from './fact.js'

type StatusData = Extract<TaskEvent, { type: 'task.status' }>['data']
type JobData = Extract<TaskEvent, { type: 'job.state' }>['data']

/** A stored status or job event, as the notifier reads it (task_events). */
export interface EventRow { task_id: number; seq: number; type: string; payload: string; created_at: string }

export interface FactContext {
  db: Db
  /** NOTIFY_BASE_URL without a trailing slash ('' : links are paths). */
  baseUrl: string
  secretKey: string
  pdfLinkSeconds: number
}

// "stopped for review: <step>: <why>" (a step's on_failure "pause", or a result that asks for a person)
const STOPPED_FOR_REVIEW = reviewReason('', '').split(':')[0]!
const isReview = (reason: string | null) => reason !== null && (reason.startsWith(REVIEW_REASON) || reason.startsWith(STOPPED_FOR_REVIEW))

/** What an event means for notifications: one of the triggers, or nothing (most events). */
export async function factOf(ctx: FactContext, row: EventRow): Promise<NotifyFact | null> {
  const data = JSON.parse(row.payload) as StatusData | JobData
  if (row.type === 'task.status') {
    const status = data as StatusData
    const trigger = status.status === 'failed' ? 'failed' : status.status === 'success' ? 'succeeded'
      : status.status === 'paused' && isReview(status.reason) ? 'review' : null
    if (trigger === null) return null
    const task = await findTask(ctx.db, row.task_id)
    if (!task) return null
    const started = task.started_at ? Date.parse(task.started_at) : NaN
    return {
      ...base(task, row.created_at), trigger,
      step: task.current_step, reason: trigger === 'succeeded' ? null : status.reason ?? task.error_message,
      duration_seconds: trigger === 'succeeded' && !Number.isNaN(started) ? (Date.parse(row.created_at) - started) / 1000 : null,
      links: { task: taskLink(ctx, task.id), pdf: trigger === 'review' ? await pdfLink(ctx, task) : null },
    }
  }
  if (row.type === 'job.state') {
    const job = data as JobData
    if (job.state !== 'held' || job.previous === 'held') return null
    const task = await findTask(ctx.db, row.task_id)
    if (!task) return null
    return {
      ...base(task, row.created_at), trigger: 'job_held', step: job.step_id, reason: null, duration_seconds: null,
      job: { id: job.job_id, host: job.host, system: job.system, reason: job.reason },
      links: { task: taskLink(ctx, task.id), pdf: null },
    }
  }
  return null
}

function base(task: TaskRow, at: string): Pick<NotifyFact, 'at' | 'task' | 'job'> {
  return {
    at, job: null,
    task: { id: task.id, name: task.task_name, workflow: task.workflow_name, user_id: task.user_id, date_param: task.date_param },
  }
}

const taskLink = (ctx: FactContext, taskId: number) => `${ctx.baseUrl}/#/tasks/${taskId}`

/** A signed link to the stage's PDF, for the task's owner, working NOTIFY_PDF_LINK_HOURS (no token needed). */
async function pdfLink(ctx: FactContext, task: TaskRow): Promise<string | null> {
  const pdf = await latestPdf(ctx.db, task.id)
  if (!pdf) return null
  const link = signArtifactLink(ctx.secretKey, pdf.id, task.user_id, ctx.pdfLinkSeconds)
  return `${ctx.baseUrl}/api/artifacts/${pdf.id}?${linkQuery(link)}`
}
