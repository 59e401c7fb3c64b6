import type { StepImplementation } from '../steps/step-type.js'

/** Step implementations by type name, as src/steps/registry.ts lists them (a type may be missing). */
export type StepTable = { readonly [type: string]: StepImplementation | undefined }
