/**
 * A job that neither the queue nor the history knows: right after a submission the queue can lag (hep_q does,
 * and so does a schedd under load), so absence proves nothing for a while. Only once the lag window after the
 * submission has passed is the job `lost`; before that there is no verdict (null) and the job counts as queued.
 */
export function missingJobState(submittedAt: Date, now: Date, lagWindowMs: number): 'lost' | null {
  return now.getTime() - submittedAt.getTime() >= lagWindowMs ? 'lost' : null
}
