import { Type, type Static, type TSchema } from 'typebox'
import { BatchSystem } from '../domain.js'

/**
 * The workflow file format (workflows/*.json). A file is checked against WorkflowSchema at load; each step
 * is checked against the inputs schema of its `type` (see stepInputSchemas), so errors point at one step.
 */

const Identifier = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]*$', maxLength: 64 })
const StepId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', maxLength: 64 })
/** A string that may hold `{{ params.x }}`, `{{ vars.x }}`, `{{ steps.<id>.outputs.<name> }}`, `{{ task.id }}`. */
const Template = Type.String({ minLength: 1 })
/** A number, or a template that renders to one (e.g. "{{ params.max_wait_minutes }}"). */
const NumberOrTemplate = Type.Union([Type.Number({ minimum: 0 }), Template])

const ParameterCommon = {
  description: Type.Optional(Type.String()),
  required: Type.Optional(Type.Boolean()),
}
export const ParameterSchema = Type.Union([
  Type.Object({
    type: Type.Literal('string'), ...ParameterCommon,
    default: Type.Optional(Type.String()),
    pattern: Type.Optional(Type.String()),
    min_length: Type.Optional(Type.Integer({ minimum: 0 })),
    max_length: Type.Optional(Type.Integer({ minimum: 0 })),
    /** yymmdd: six digits that are a real calendar date (the date of a day of data). */
    format: Type.Optional(Type.Literal('yymmdd')),
  }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('integer'), ...ParameterCommon,
    default: Type.Optional(Type.Integer()),
    minimum: Type.Optional(Type.Integer()),
    maximum: Type.Optional(Type.Integer()),
  }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('boolean'), ...ParameterCommon,
    default: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('enum'), ...ParameterCommon,
    values: Type.Array(Type.String(), { minItems: 1 }),
    default: Type.Optional(Type.String()),
  }, { additionalProperties: false }),
])
export type ParameterDefinition = Static<typeof ParameterSchema>

const OutputDeclarationSchema = Type.Object({
  description: Type.Optional(Type.String()),
  /** exec: a regular expression matched against each stdout line. */
  pattern: Type.Optional(Type.String()),
  /** Capture group to keep (default 1, or the whole match when the pattern has no group). */
  group: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Keep every match as a list instead of the first one. */
  all: Type.Optional(Type.Boolean()),
  /** Fail the step when nothing matched. */
  required: Type.Optional(Type.Boolean()),
}, { additionalProperties: false })
export type OutputDeclaration = Static<typeof OutputDeclarationSchema>

/**
 * The cluster jobs an exec step's output reveals: every stdout line that the named output's pattern matches
 * is read as a submission (`1 job(s) submitted to cluster 123.` → 123.0), and its jobs are recorded with it.
 */
const JobsDeclarationSchema = Type.Object({
  system: BatchSystem,
  /** An output of this step whose pattern matches the submission lines. */
  from_output: Identifier,
  /** The folder of the system's tools on the step's host (absolute; on `local`, relative to the server's folder). */
  tools: Template,
  /** Hold the jobs that have not started while the task is paused, release them on resume (default true). */
  hold_on_pause: Type.Optional(Type.Boolean()),
}, { additionalProperties: false })
export type JobsDeclaration = Static<typeof JobsDeclarationSchema>

/** The id of an earlier step that submits cluster jobs (batch_submit, or an exec with `jobs`): wait for its jobs. */
const JobsOfStep = StepId
/** A job held this long pauses the task for a person (default 30). */
const HeldPauseMinutes = Type.Optional(NumberOrTemplate)

/**
 * An exec output check: `pattern` (a regular expression) is matched against each line the command prints on stdout
 * and stderr (not the lines the host's login shell prints before it). A match fails the step, not retryable, once
 * the command has ended; the error names the first matching line and `message`.
 */
const FailOnSchema = Type.Object({
  pattern: Type.String({ minLength: 1 }),
  /** What the match means, for the person reading the failure (e.g. "ccompare found a repeated or missing run"). */
  message: Type.Optional(Type.String({ minLength: 1 })),
  ignore_case: Type.Optional(Type.Boolean()),
}, { additionalProperties: false })
export type FailOn = Static<typeof FailOnSchema>

/**
 * A file wait's entry that counts: the files matching `glob` (relative to `directory`; may use `{{ item }}`). At most
 * one of `count` (exactly that many: more fails the wait at once), `min_count` (at least that many) or `as_many_as`
 * (exactly as many as match that other glob in the same poll, at least one: e.g. one hist file per job file of a
 * run); none of them means at least one. Extended globs are on (`rec{{ item }}_+([0-9])`).
 */
const FileCountSchema = Type.Object({
  glob: Template,
  count: Type.Optional(NumberOrTemplate),
  min_count: Type.Optional(NumberOrTemplate),
  as_many_as: Type.Optional(Template),
  /** What the files are, for the progress line ("12/40 hist files"); default: the glob. */
  label: Type.Optional(Type.String({ minLength: 1 })),
}, { additionalProperties: false })

/** Inputs of each step type. A type listed here is part of the format; src/steps/ says which can run. */
const stepInputSchemas = {
  exec: Type.Object({
    /** A shell command line; every template substitution in it is shell-quoted. */
    command: Template,
    cwd: Type.Optional(Template),
    env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String())),
    expected_exit_codes: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { minItems: 1 })),
    /** A line that must appear in stdout for success (e.g. genJob.sh's DONE); a regular expression. */
    require_marker: Type.Optional(Type.String({ minLength: 1 })),
    /** Run under setsid with output in files on the host; survives dropped connections and restarts. */
    detached: Type.Optional(Type.Boolean()),
    jobs: Type.Optional(JobsDeclarationSchema),
    /** Lines that fail the step, whatever its exit code (e.g. ccompare's "error:\s+(repeat|order|miss)"). */
    fail_on: Type.Optional(Type.Array(FailOnSchema, { minItems: 1 })),
    /** Any line with text on stdout or stderr fails the step (a check program that prints only what is wrong). */
    fail_on_output: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  wait_for_files: Type.Object({
    /** Folder the patterns are relative to. */
    directory: Type.Optional(Template),
    /** File names or globs (one match each), or counted globs; with for_each, `{{ item }}` stands for each item. */
    files: Type.Array(Type.Union([Template, FileCountSchema]), { minItems: 1 }),
    /**
     * A file counts only once its size was the same in this many polls in a row (2: unchanged across two polls;
     * ROOT files appear before they are complete). Default 1: as soon as it exists. Counted in polls, not seconds,
     * so it scales with poll_seconds (a site variable: a test site polls fast).
     */
    stable_polls: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /** Expand `files` once per item of a list output, e.g. "{{ steps.list_runs.outputs.runs }}". */
    for_each: Type.Optional(Template),
    /** If any of these appears, fail at once: the data is abnormal (e.g. Interval_run0.png). */
    anomaly_files: Type.Optional(Type.Array(Template)),
    poll_seconds: Type.Optional(NumberOrTemplate),
    max_wait_minutes: Type.Optional(NumberOrTemplate),
    /** Also wait until that step's cluster jobs have finished; a failed job fails the wait at once. */
    jobs: Type.Optional(JobsOfStep),
    held_pause_minutes: HeldPauseMinutes,
  }, { additionalProperties: false }),
  wait_for_jobs: Type.Object({
    jobs: JobsOfStep,
    max_wait_minutes: Type.Optional(NumberOrTemplate),
    held_pause_minutes: HeldPauseMinutes,
  }, { additionalProperties: false }),
  batch_submit: Type.Object({
    system: Type.Union([Type.Literal('slurm'), Type.Literal('htcondor')]),
    /** The folder of the system's tools on the step's host (as in an exec step's `jobs`). */
    tools: Template,
    /** The job file on the step's host: a Slurm batch script, or an HTCondor submit description. */
    file: Template,
    /** The folder the submission is made from (the job's working folder). */
    cwd: Type.Optional(Template),
    hold_on_pause: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  download: Type.Object({
    /** A remote file or glob; every match is fetched into the task's artifact folder. Its folder must exist. */
    path: Template,
    /**
     * How many matches are acceptable at least (default 1). 0: no match is a success with count 0 (a merge that
     * legitimately produced nothing); a missing folder or a failing listing still fails.
     */
    min_files: Type.Optional(Type.Integer({ minimum: 0 })),
  }, { additionalProperties: false }),
} satisfies Record<string, TSchema>

export type StepType = keyof typeof stepInputSchemas
export const stepTypes = Object.keys(stepInputSchemas) as StepType[]

/** What a built-in output holds; a list renders as its items joined by spaces, each quoted in a command line. */
type OutputKind = 'text' | 'number' | 'list'
interface OutputKindValue { text: string; number: number; list: string[] }

/**
 * Outputs each step type records by itself, whether or not the step declares them; later steps reference them
 * like declared ones. Part of the format, so the loader can check references without the steps' code; the steps
 * record their values through BuiltInOutputValues, so the two cannot drift apart.
 */
export const builtInOutputs = {
  exec: {},
  wait_for_files: { total: 'number', complete: 'list', incomplete: 'list', waited_seconds: 'number' },
  wait_for_jobs: { total: 'number', completed: 'number', waited_seconds: 'number' },
  batch_submit: { job_ids: 'list', count: 'number' },
  download: { files: 'list', count: 'number', total_bytes: 'number' },
} as const satisfies { [K in StepType]: Record<string, OutputKind> }

export type BuiltInOutputValues<K extends StepType> = {
  -readonly [N in keyof (typeof builtInOutputs)[K]]: OutputKindValue[(typeof builtInOutputs)[K][N] & OutputKind]
}

const StepCommon = {
  id: StepId,
  display_name: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  /** A host name from HOSTS_FILE, or "local". */
  host: Type.Optional(Type.String({ minLength: 1 })),
  timeout_minutes: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  retry: Type.Optional(Type.Object({
    count: Type.Integer({ minimum: 0, maximum: 100 }),
    delay_seconds: Type.Optional(Type.Number({ minimum: 0 })),
  }, { additionalProperties: false })),
  /** Rendered as a template; "", "false", "0", "no" and "off" skip the step. */
  when: Type.Optional(Template),
  /**
   * After the last retry: `stop` fails the task, `continue` goes on with the next step, `pause` pauses the task
   * with the failure as its reason ("stopped for review: <step>: <error>") for a person to look and resume.
   */
  on_failure: Type.Optional(Type.Union([Type.Literal('stop'), Type.Literal('continue'), Type.Literal('pause')])),
  /** Pause the task after this step succeeds, for a person to review ("waiting for review"). */
  pause_after: Type.Optional(Type.Boolean()),
  /** With pause_after: what the person should look at; the pause reason becomes "waiting for review: <review>". */
  review: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  /** Safe to run again after a restart interrupted it (otherwise the task pauses for a person). */
  idempotent: Type.Optional(Type.Boolean()),
  outputs: Type.Optional(Type.Record(Identifier, OutputDeclarationSchema)),
}

function stepSchema<K extends StepType>(type: K) {
  return Type.Object({ ...StepCommon, type: Type.Literal(type), inputs: stepInputSchemas[type] },
    { additionalProperties: false })
}
export const stepSchemas = {
  exec: stepSchema('exec'),
  wait_for_files: stepSchema('wait_for_files'),
  wait_for_jobs: stepSchema('wait_for_jobs'),
  batch_submit: stepSchema('batch_submit'),
  download: stepSchema('download'),
} satisfies { [K in StepType]: TSchema }

export const StepSchema = Type.Union([stepSchemas.exec, stepSchemas.wait_for_files, stepSchemas.wait_for_jobs,
  stepSchemas.batch_submit, stepSchemas.download])
export type StepDefinition = { [K in StepType]: Static<(typeof stepSchemas)[K]> }[StepType]
export type StepOf<K extends StepType> = Static<(typeof stepSchemas)[K]>

/**
 * At most `limit` tasks with the same rendered `key` (a template over params and vars, rendered when a task is
 * created) run at a time, a review pause included: the others wait `queued` until one of them ends.
 */
const ConcurrencySchema = Type.Object({
  key: Template,
  /** Default 1. */
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
}, { additionalProperties: false })

/**
 * Advice for the person reading a failure or pause reason of a step of this workflow (in the file, so that it can
 * be translated and changed without code): the first entry whose `match` (a regular expression) matches the reason
 * adds its text, as "<reason> — <advice>".
 */
const AdviceSchema = Type.Object({
  match: Type.String({ minLength: 1 }),
  advice: Type.String({ minLength: 1 }),
  ignore_case: Type.Optional(Type.Boolean()),
}, { additionalProperties: false })
export type Advice = Static<typeof AdviceSchema>

export const WorkflowSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]*$', maxLength: 100 }),
  display_name: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  version: Type.String({ minLength: 1, maxLength: 40 }),
  parameters: Type.Optional(Type.Record(Identifier, ParameterSchema)),
  /** Site variables (paths, tool locations) with defaults; TOPUP_VAR_<NAME> in the server's environment overrides. */
  vars: Type.Optional(Type.Record(Identifier, Type.String())),
  concurrency: Type.Optional(ConcurrencySchema),
  steps: Type.Array(StepSchema, { minItems: 1 }),
  advice: Type.Optional(Type.Array(AdviceSchema)),
}, { additionalProperties: false })
export type WorkflowDefinition = Static<typeof WorkflowSchema>
