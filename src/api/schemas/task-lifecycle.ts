import { Type, type Static } from 'typebox'
import { ParametersInput } from './common.js'

export const ResumeBody = Type.Object({
  parameters: Type.Optional(ParametersInput('changed parameters, laid over the current ones and checked against the task\'s '
    + 'own workflow snapshot; each change is written to the task log as old → new')),
  retry_from_step: Type.Optional(Type.String({
    minLength: 1, maxLength: 64,
    description: 'a step id of the task\'s workflow to continue from (default: where the task paused)',
  })),
}, {
  additionalProperties: false,
  examples: [{ parameters: { max_wait_minutes: 40 }, retry_from_step: 'wait_for_job_files' }],
})
export type ResumeBody = Static<typeof ResumeBody>

/** start, pause and cancel take no fields: a body, if sent, must be `{}`. */
export const EmptyBody = Type.Object({}, { additionalProperties: false, description: 'optional; no fields' })
