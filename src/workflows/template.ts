import type { OutputValue } from '../domain.js'
import { shellQuote } from '../shell-quote.js'
import { messageOf } from '../errors.js'

/**
 * Template rendering for step inputs: `{{ params.x }}`, `{{ vars.x }}`, `{{ steps.<id>.outputs.<name> }}`,
 * `{{ task.id }}`, `{{ task.user_id }}` and names from `extra` such as `{{ item }}`. With `shell: true` every
 * substitution is shell-quoted, so a parameter can never become shell syntax. A reference that does not resolve
 * is an error naming it: an empty string in a command line would be silently wrong.
 */

export interface TemplateScope {
  params: Record<string, unknown>
  vars: Record<string, string>
  steps: Record<string, { outputs: Record<string, OutputValue> }>
  task: { id: number; user_id: string }
}

export interface RenderOptions {
  shell?: boolean
  extra?: Record<string, unknown>
}

export type TemplateReference =
  | { kind: 'params' | 'vars'; name: string; expression: string }
  | { kind: 'steps'; step: string; output: string; expression: string }
  | { kind: 'task'; field: string; expression: string }
  | { kind: 'extra'; name: string; expression: string }

export class TemplateError extends Error {
  constructor(message: string, readonly reference: string | null = null) {
    super(message)
    this.name = 'TemplateError'
  }
}

const PLACEHOLDER = /\{\{(.*?)\}\}/gs
const NAME = '[A-Za-z_][A-Za-z0-9_]*'
const SIMPLE = new RegExp(`^(params|vars|task)\\.(${NAME})$`)
const STEP_OUTPUT = new RegExp(`^steps\\.([A-Za-z0-9][A-Za-z0-9_.-]*)\\.outputs\\.(${NAME})$`)
const EXTRA = new RegExp(`^${NAME}$`)

function parseReference(raw: string): TemplateReference {
  const expression = raw.trim()
  const step = STEP_OUTPUT.exec(expression)
  if (step) return { kind: 'steps', step: step[1]!, output: step[2]!, expression }
  const simple = SIMPLE.exec(expression)
  if (simple) {
    const [, root, name] = simple as unknown as [string, 'params' | 'vars' | 'task', string]
    return root === 'task' ? { kind: 'task', field: name, expression } : { kind: root, name, expression }
  }
  if (EXTRA.test(expression) && !['params', 'vars', 'steps', 'task'].includes(expression)) {
    return { kind: 'extra', name: expression, expression }
  }
  throw new TemplateError(`invalid template reference "{{ ${expression} }}"`, expression)
}

/** Every reference in a template, in order (for the workflow loader's checks). Throws on bad syntax. */
export function templateReferences(template: string): TemplateReference[] {
  checkBraces(template)
  return [...template.matchAll(PLACEHOLDER)].map((m) => parseReference(m[1]!))
}

export function renderTemplate(template: string, scope: TemplateScope, options: RenderOptions = {}): string {
  checkBraces(template)
  return template.replace(PLACEHOLDER, (_whole, raw: string) => {
    const value = resolve(parseReference(raw), scope, options.extra)
    if (Array.isArray(value)) return options.shell ? value.map(shellQuote).join(' ') : value.join(' ')
    return options.shell ? shellQuote(value) : value
  })
}

/**
 * A template that is exactly one reference to a list gives that list; any other template gives its rendered
 * text as a single item.
 */
export function renderList(template: string, scope: TemplateScope, options: Pick<RenderOptions, 'extra'> = {}): string[] {
  checkBraces(template)
  const only = /^\s*\{\{(.*?)\}\}\s*$/s.exec(template)
  if (only) {
    const value = resolve(parseReference(only[1]!), scope, options.extra)
    return Array.isArray(value) ? value : [value]
  }
  return [renderTemplate(template, scope, options)]
}

/**
 * Workflow variables after site overrides (TOPUP_VAR_<NAME>), each rendered in order: a variable may use
 * parameters, the task and the variables defined before it.
 */
export function resolveVars(
  definition: Record<string, string>,
  overrides: Readonly<Record<string, string>>,
  scope: Pick<TemplateScope, 'params' | 'task'>,
): Record<string, string> {
  const vars: Record<string, string> = {}
  for (const [name, raw] of Object.entries(definition)) {
    const template = Object.hasOwn(overrides, name) ? overrides[name]! : raw
    try {
      vars[name] = renderTemplate(template, { ...scope, vars, steps: {} })
    } catch (error) {
      throw new TemplateError(`variable "${name}": ${messageOf(error)}`, (error as TemplateError).reference ?? null)
    }
  }
  return vars
}

const FALSE_WORDS = new Set(['', 'false', '0', 'no', 'off'])

/** How a rendered `when` is read: "", "false", "0", "no" and "off" (any case, trimmed) are false. */
export function isTruthy(rendered: string): boolean {
  return !FALSE_WORDS.has(rendered.trim().toLowerCase())
}

function resolve(ref: TemplateReference, scope: TemplateScope, extra?: Record<string, unknown>): string | string[] {
  let value: unknown
  switch (ref.kind) {
    case 'params': value = own(scope.params, ref.name); break
    case 'vars': value = own(scope.vars, ref.name); break
    case 'task': value = own(scope.task, ref.field); break
    case 'extra': value = extra ? own(extra, ref.name) : undefined; break
    case 'steps': {
      const step = own(scope.steps, ref.step) as TemplateScope['steps'][string] | undefined
      if (step === undefined) throw unknown(ref, `step "${ref.step}" has no outputs yet`)
      value = own(step.outputs, ref.output)
      break
    }
  }
  if (value === undefined || value === null) throw unknown(ref)
  if (Array.isArray(value)) return value.map((v) => scalar(ref, v))
  return scalar(ref, value)
}

function scalar(ref: TemplateReference, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw new TemplateError(`template reference "{{ ${ref.expression} }}" is not a text, number or list`, ref.expression)
}

function own(object: object, key: string): unknown {
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined
}

function unknown(ref: TemplateReference, why?: string): TemplateError {
  return new TemplateError(`unknown template reference "{{ ${ref.expression} }}"${why ? ` (${why})` : ''}`, ref.expression)
}

function checkBraces(template: string): void {
  const stripped = template.replace(PLACEHOLDER, '')
  if (stripped.includes('{{')) {
    throw new TemplateError(`unclosed "{{" in template: ${template}`)
  }
}
