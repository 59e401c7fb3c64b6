import { Type } from 'typebox'
import { ParameterSchema } from '../../workflows/definition.js'
import { Nullable, ParameterValue, ParametersInput } from './common.js'

export const WorkflowNameParams = Type.Object({ workflow_name: Type.String({ minLength: 1, maxLength: 100 }) })

export const WorkflowSummarySchema = Type.Object({
  workflow_id: Type.Integer({ description: 'id of the active version' }),
  name: Type.String(),
  display_name: Type.String(),
  description: Nullable(Type.String()),
  version: Type.String(),
  runnable: Type.Boolean({ description: 'false while a step type has no implementation yet' }),
  missing_step_types: Type.Array(Type.String()),
  source_file: Nullable(Type.String()),
  parameters: Type.Record(Type.String(), ParameterSchema),
}, {
  examples: [{
    workflow_id: 1, name: 'topup_standard_workflow', display_name: 'Topup standard workflow (stage 1)',
    description: null, version: '1.0.0', runnable: false, missing_step_types: ['download'],
    source_file: 'workflows/topup_standard.json',
    parameters: { date_param: { type: 'string', format: 'yymmdd', required: true } },
  }],
})

export const WorkflowListSchema = Type.Object({
  items: Type.Array(WorkflowSummarySchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
})

export const WorkflowDetailSchema = Type.Object({
  ...WorkflowSummarySchema.properties,
  vars: Type.Record(Type.String(), Type.String(), { description: 'site variables as defined (before TOPUP_VAR_ overrides)' }),
  steps: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'the steps as written in the file' }),
})

export const ValidateBody = Type.Object({
  parameters: Type.Optional(ParametersInput('the values to check, as a create request would send them')),
}, { additionalProperties: false, examples: [{ parameters: { date_param: '250624', max_wait_minutes: 25 } }] })

export const ValidateResultSchema = Type.Object({
  valid: Type.Boolean(),
  errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
  parameters: Type.Record(Type.String(), ParameterValue, { description: 'resolved values with defaults (empty when invalid)' }),
}, {
  examples: [{ valid: true, errors: [], parameters: { date_param: '250624', round: 'round18', submit_job: true, max_wait_minutes: 25, check_ist: true } }],
})
