import type { NotifyTrigger } from '../domain.js'

/** What one notification says, before it is put into words: the same facts for every channel and language. */
export interface NotifyFact {
  trigger: NotifyTrigger
  /** When it happened (the event's time). */
  at: string
  task: { id: number; name: string; workflow: string; user_id: string; date_param: string | null }
  /** The step it concerns (the failed one, the one paused at, the job's). */
  step: string | null
  reason: string | null
  /** succeeded: from the task's start to its end. */
  duration_seconds: number | null
  job: { id: string; host: string; system: string; reason: string | null } | null
  links: { task: string; pdf: string | null }
}

/** The Standard Webhooks `type` of each trigger. */
export const webhookTypes: Record<NotifyTrigger, string> = {
  review: 'task.review', failed: 'task.failed', succeeded: 'task.succeeded', job_held: 'job.held',
}
