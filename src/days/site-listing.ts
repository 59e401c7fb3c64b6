import { AppError, messageOf } from '../errors.js'
import { isAbortError } from '../remote/abort-error.js'
import { runFramed, type FramedRun } from '../remote/framed-run.js'
import { Frame, FramingError } from '../remote/framing.js'
import type { HostTransports } from '../remote/transport-provider.js'
import { TransportError } from '../remote/transport.js'
import { shellJoin } from '../shell-quote.js'
import { isYymmdd } from '../workflows/parameters.js'
import type { DayFolders } from './site-folders.js'

/** What the site has of a round, read in one command. */
export interface SiteListing {
  /** Days (YYMMDD) with a raw-data folder, ascending. */
  raw: string[]
  /** Days with a folder in InjSigTimeCal, ascending; null when that folder could not be listed. */
  processed: string[] | null
  /** Why `processed` is null. */
  warning: string | null
  listedAt: string
}

const LISTING_TIMEOUT_MS = 60_000

/**
 * Both folders in one command, each answer framed (framing.ts): `<kind> <name>` per six-digit entry, then
 * `<kind>-listed`, or `<kind>-failed <ls's error>`. Only the frame is read, so login noise never becomes a day.
 */
const SCRIPT = `
list_days() {
  local names name
  if names=$(ls -1 -- "$2" 2>/dev/null); then
    while IFS= read -r name; do
      case $name in [0-9][0-9][0-9][0-9][0-9][0-9]) frame_put "$1 $name" ;; esac
    done <<< "$names"
    frame_put "$1-listed"
  else
    frame_put "$1-failed $(ls -1 -- "$2" 2>&1 >/dev/null | head -n 3 | tr '\\n' ' ')"
  fi
}
list_days raw "$1"
list_days processed "$2"
`

/**
 * Lists the raw-data and InjSigTimeCal folders on the folders' host. The host not answering is 503
 * `site_unreachable`; an answer without a complete frame or a raw-data folder that cannot be listed is 502
 * `site_listing_failed`; an InjSigTimeCal folder that cannot be listed is only a warning (as step 0 had it).
 */
export async function listSite(transports: Pick<HostTransports, 'transportFor'>, folders: DayFolders): Promise<SiteListing> {
  const frame = new Frame(`the listing of days on ${folders.host}`)
  const signal = AbortSignal.timeout(LISTING_TIMEOUT_MS)
  let exit: string
  let run: FramedRun
  try {
    run = await runFramed(transports.transportFor(folders.host), frame,
      `set -- ${shellJoin([folders.rawDataDir, folders.jobDir])}\n${frame.wrap(SCRIPT)}`, signal)
    const { result } = run
    exit = result.signal !== null ? `killed by signal ${result.signal}` : `exit code ${result.exitCode}`
  } catch (error) {
    if (error instanceof TransportError) throw new AppError('site_unreachable', `${folders.host} cannot be reached: ${error.describe()}`)
    if (isAbortError(error) && signal.aborted) {
      throw new AppError('site_unreachable', `${folders.host} did not list the days within ${LISTING_TIMEOUT_MS / 1000} s`)
    }
    throw error
  }
  let values: string[]
  try {
    values = run.values()
  } catch (error) {
    if (!(error instanceof FramingError)) throw error
    throw new AppError('site_listing_failed', `${messageOf(error)} (${exit})`)
  }
  const raw = answerOf(values, 'raw', folders.rawDataDir)
  if (raw.failed !== null) {
    throw new AppError('site_listing_failed', `the raw-data folder ${folders.rawDataDir} on ${folders.host} cannot be listed: ${raw.failed}`)
  }
  const processed = answerOf(values, 'processed', folders.jobDir)
  return {
    raw: raw.days!,
    processed: processed.days,
    warning: processed.failed === null ? null
      : `the work area ${folders.jobDir} on ${folders.host} cannot be listed (${processed.failed}): which days the site has processed is unknown`,
    listedAt: new Date().toISOString(),
  }
}

/** One folder's part of the answer: its days, or why it could not be listed. */
function answerOf(values: string[], kind: string, folder: string): { days: string[] | null; failed: string | null } {
  const days: string[] = []
  for (const value of values) {
    if (value === `${kind}-listed`) return { days: [...new Set(days)].sort(), failed: null }
    if (value.startsWith(`${kind}-failed`)) return { days: null, failed: value.slice(kind.length + 7).trim() || 'ls failed' }
    const day = value.startsWith(`${kind} `) ? value.slice(kind.length + 1) : null
    if (day !== null && isYymmdd(day)) days.push(day)
  }
  throw new AppError('site_listing_failed', `the listing of ${folder} has no end line`)
}
