import type { WorkflowDefinition } from './definition.js'
import { renderTemplate, resolveVars, type TemplateScope } from './template.js'

/** What a task stores of its workflow's `concurrency` setting (tasks.concurrency_key and concurrency_limit). */
export interface TaskConcurrency {
  concurrency_key: string
  concurrency_limit: number
}

/**
 * The workflow's concurrency key rendered for one task, with its parameters and the site's variables (overrides
 * included, so the key names what the task really works on); null when the workflow has no such setting.
 * The task itself is in the scope because a variable may use it. Throws TemplateError when a reference does not
 * resolve (the loader only lets the key use declared params and vars; a site override may still break one).
 */
export function renderConcurrency(
  definition: Pick<WorkflowDefinition, 'concurrency' | 'vars'>, params: Record<string, unknown>,
  siteVars: Readonly<Record<string, string>>, task: TemplateScope['task'],
): TaskConcurrency | null {
  const setting = definition.concurrency
  if (!setting) return null
  const vars = resolveVars(definition.vars ?? {}, siteVars, { params, task })
  return {
    concurrency_key: renderTemplate(setting.key, { params, vars, steps: {}, task }),
    concurrency_limit: setting.limit ?? 1,
  }
}
