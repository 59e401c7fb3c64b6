import { setTimeout as delay } from 'node:timers/promises'
import type { AbortReason, StepContext, StepImplementation, StepOutcome } from './step-type.js'
import { isAbortError } from '../remote/abort-error.js'
import { TransportError } from '../remote/transport.js'
import type { BuiltInOutputValues } from '../workflows/definition.js'
import { buildFileCheckCommand, fileCheckFrame, parseFileCheckOutput, type FileCheckRequest } from './file-check-script.js'
import { messageOf } from '../errors.js'

/**
 * `wait_for_files`: polls until every expected file exists, one command per poll for the whole list. With
 * `for_each` the file list is expanded once per item (six files per run number) and completeness is judged per
 * item. An anomaly file fails the step at once. Interruptible: pause and shutdown stop the wait at once, and the
 * time already waited, kept as durable progress, carries over when it continues.
 */
export const waitForFilesStep: StepImplementation<'wait_for_files'> = {
  type: 'wait_for_files',
  interruptible: true,
  run: runWait,
}

export interface WaitProgress {
  started_at: string
  /** Time waited before the current stretch (earlier stretches, before pauses or restarts). */
  waited_seconds_before: number
  /**
   * When the current stretch began; null once it stopped cleanly (pause, shutdown). Still set when the next
   * attempt reads it, the stretch was cut short by a crash, after which nothing was saved: all the time since it
   * began counts as waited, so a crash never stretches max_wait_minutes (waited_seconds is only the last poll's).
   */
  stretch_started_at: string | null
  waited_seconds: number
  polls: number
  complete: string[]
}

interface Item { key: string; patterns: string[] }

const MAX_POLL_FAILURES = 3

async function runWait(ctx: StepContext<'wait_for_files'>): Promise<StepOutcome> {
  const inputs = ctx.step.inputs
  const pollSeconds = Math.max(0.2, numberInput(ctx, 'poll_seconds', inputs.poll_seconds, 30))
  const maxWaitSeconds = numberInput(ctx, 'max_wait_minutes', inputs.max_wait_minutes, 25) * 60
  const items = expandItems(ctx)
  const request = buildRequest(ctx, items)
  const resumed = readProgress(ctx.progress.resumed)
  const stretchStart = Date.now()
  const waitedBefore = resumed ? carriedOver(resumed, stretchStart) : 0
  const progress: WaitProgress = {
    started_at: resumed?.started_at ?? new Date(stretchStart).toISOString(),
    waited_seconds_before: waitedBefore,
    stretch_started_at: new Date(stretchStart).toISOString(),
    waited_seconds: waitedBefore,
    polls: resumed?.polls ?? 0,
    complete: resumed?.complete ?? [],
  }
  const waited = () => round(waitedBefore + (Date.now() - stretchStart) / 1000)
  const save = () => ctx.progress.save({ ...progress, waited_seconds: waited() })
  const stopped = async (): Promise<StepOutcome> => {
    progress.stretch_started_at = null
    await save()
    return stopOutcome(ctx.signal.reason as AbortReason, items, progress.complete, waited())
  }

  ctx.log('info', `waiting for ${items.length} item(s) in ${request.directory}` +
    (resumed ? `, continuing after ${waitedBefore} s already waited` : '') +
    `; poll every ${pollSeconds} s, at most ${maxWaitSeconds / 60} min`)
  if (items.length === 0) ctx.log('warning', 'nothing to wait for: the list of items is empty')
  await save()
  let failures = 0
  let lastLogged = -1
  for (;;) {
    if (ctx.signal.aborted) return stopped()
    let found: Set<number>
    let anomaly: string | null
    try {
      const check = await poll(ctx, request)
      if (!check.directoryExists && progress.polls === 0) ctx.log('info', `${request.directory} does not exist yet`)
      found = new Set(check.files.flatMap((name, i) => (name === null ? [] : [i])))
      anomaly = check.anomalies.find((name) => name !== null) ?? null
      failures = 0
    } catch (error) {
      if (isAbortError(error) || ctx.signal.aborted) return stopped()
      // a wrong password or host key will not be right at the next poll
      if (++failures >= MAX_POLL_FAILURES || (error instanceof TransportError && !error.retryable)) throw error
      ctx.log('warning', `file check failed (${failures}/${MAX_POLL_FAILURES}): ${messageOf(error)}`)
      found = new Set()
      anomaly = null
    }
    progress.polls++
    if (failures === 0) {
      const index = new Map(request.files.map((f, i) => [f, i]))
      progress.complete = items.filter((it) => it.patterns.every((p) => found.has(index.get(p)!))).map((it) => it.key)
    }
    await save()
    const incomplete = items.map((it) => it.key).filter((k) => !progress.complete.includes(k))
    if (anomaly !== null) {
      await record(ctx, items, progress.complete, waited())
      return { status: 'failed', error: `anomaly file ${anomaly} appeared in ${request.directory}: the data needs a person's review`, retryable: false }
    }
    if (progress.complete.length !== lastLogged) {
      lastLogged = progress.complete.length
      ctx.log('info', `${progress.complete.length}/${items.length} complete` +
        (incomplete.length ? `; waiting for ${preview(incomplete)}` : ''))
    }
    if (incomplete.length === 0) {
      await record(ctx, items, progress.complete, waited())
      return { status: 'success', summary: `all ${items.length} item(s) complete after ${waited()} s` }
    }
    const remaining = maxWaitSeconds - waited()
    if (remaining <= 0) {
      await record(ctx, items, progress.complete, waited())
      // not retryable: a retry would start the whole wait again from 0 s (max wait × retries in all)
      return {
        status: 'failed',
        error: `gave up after ${waited()} s: ${incomplete.length} of ${items.length} incomplete: ${preview(incomplete)}`,
        summary: `${progress.complete.length}/${items.length} complete`,
        retryable: false,
      }
    }
    try {
      await delay(Math.min(pollSeconds, remaining) * 1000, undefined, { signal: ctx.signal })
    } catch {
      return stopped()
    }
  }
}

async function poll(ctx: StepContext<'wait_for_files'>, request: FileCheckRequest) {
  const frame = fileCheckFrame(request)
  const reader = frame.reader()
  const result = await ctx.transport().run({
    command: buildFileCheckCommand(frame, request),
    signal: ctx.signal,
    onLine: (stream, line) => {
      if (stream === 'stdout') reader.take(line)
      else ctx.log('debug', line, 'stderr')
    },
  })
  if (result.exitCode !== 0) throw new Error(`file check exited with ${result.exitCode ?? result.signal}`)
  return parseFileCheckOutput(frame, request, reader.values())
}

function expandItems(ctx: StepContext<'wait_for_files'>): Item[] {
  const { files, for_each: forEach } = ctx.step.inputs
  if (forEach === undefined) return files.map((f) => { const p = ctx.render(f); return { key: p, patterns: [p] } })
  const keys = [...new Set(ctx.renderList(forEach))]
  return keys.map((item) => ({ key: item, patterns: files.map((f) => ctx.render(f, { extra: { item } })) }))
}

function buildRequest(ctx: StepContext<'wait_for_files'>, items: Item[]): FileCheckRequest {
  const { directory, anomaly_files: anomalies } = ctx.step.inputs
  return {
    directory: directory === undefined ? '.' : ctx.render(directory),
    files: [...new Set(items.flatMap((it) => it.patterns))],
    anomalies: (anomalies ?? []).map((a) => ctx.render(a)),
  }
}

async function record(ctx: StepContext<'wait_for_files'>, items: Item[], complete: string[], waited: number) {
  const outputs: BuiltInOutputValues<'wait_for_files'> = {
    total: items.length,
    complete,
    incomplete: items.map((it) => it.key).filter((k) => !complete.includes(k)),
    waited_seconds: waited,
  }
  for (const [name, value] of Object.entries(outputs)) await ctx.setOutput(name, value)
}

function stopOutcome(reason: AbortReason, items: Item[], complete: string[], waited: number): StepOutcome {
  const state = `${complete.length}/${items.length} complete after ${waited} s`
  if (reason === 'pause' || reason === 'shutdown') return { status: 'interrupted', summary: `stopped waiting (${reason}): ${state}` }
  return { status: 'failed', error: `stopped waiting (${String(reason)}): ${state}`, retryable: false, summary: state }
}

function numberInput(ctx: StepContext, name: string, value: number | string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = typeof value === 'number' ? value : Number(ctx.render(value).trim())
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(value)}`)
  return n
}

function readProgress(value: unknown): WaitProgress | null {
  if (typeof value !== 'object' || value === null) return null
  const p = value as Partial<WaitProgress>
  if (typeof p.waited_seconds !== 'number' || typeof p.started_at !== 'string') return null
  return { started_at: p.started_at, waited_seconds_before: p.waited_seconds_before ?? 0,
    stretch_started_at: typeof p.stretch_started_at === 'string' ? p.stretch_started_at : null, waited_seconds: p.waited_seconds,
    polls: p.polls ?? 0, complete: Array.isArray(p.complete) ? p.complete : [] }
}

/** The time waited before this stretch: what the last stretch saved, or, if a crash cut it short, all since it began. */
function carriedOver(previous: WaitProgress, now: number): number {
  const began = previous.stretch_started_at === null ? NaN : Date.parse(previous.stretch_started_at)
  if (Number.isNaN(began)) return previous.waited_seconds
  return Math.max(previous.waited_seconds, round(previous.waited_seconds_before + (now - began) / 1000))
}

function preview(keys: string[]): string {
  return keys.length <= 20 ? keys.join(', ') : `${keys.slice(0, 20).join(', ')} … (+${keys.length - 20})`
}

const round = (seconds: number) => Math.round(seconds * 10) / 10
