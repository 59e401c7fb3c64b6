import type { StepType } from '../workflows/definition.js'
import type { StepImplementation } from './step-type.js'
import { execStep } from './exec.js'
import { waitForFilesStep } from './wait-for-files.js'
import { downloadStep } from './download.js'
import { waitForJobsStep } from './wait-for-jobs.js'
import { batchSubmitStep } from './batch-submit.js'

/** The step types that can run, by type. A type of the workflow format missing here cannot run yet. */
export const stepRegistry: { readonly [K in StepType]?: StepImplementation<K> } = {
  exec: execStep,
  wait_for_files: waitForFilesStep,
  wait_for_jobs: waitForJobsStep,
  batch_submit: batchSubmitStep,
  download: downloadStep,
}

/** Step implementations by type name, as the engine receives them (stepRegistry; a type may be missing). */
export type StepTable = { readonly [type: string]: StepImplementation | undefined }

export function implementedStepTypes(): StepType[] {
  return (Object.keys(stepRegistry) as StepType[]).filter((type) => stepRegistry[type] !== undefined)
}

export function stepImplementation<K extends StepType>(type: K): StepImplementation<K> | undefined {
  return stepRegistry[type] as StepImplementation<K> | undefined
}
