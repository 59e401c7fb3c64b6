import type { ApiClient } from './api-client.js'
import type { WorkflowDetail } from './api-types.js'

/** A workflow parameter's rules as GET /api/workflows/{name} gives them; only the type matters here. */
export type ParameterTypes = Record<string, { type: string }>

/**
 * `-p` values typed by the workflow's parameter schema: `runs=4` a number, `submit_job=false` a boolean. A value
 * that does not read as its type (or an unknown name) is sent as the text given, so the server, which checks every
 * parameter, answers with its own message.
 */
export function typedParameters(types: ParameterTypes, pairs: Array<[string, string]>): Record<string, unknown> {
  return Object.fromEntries(pairs.map(([name, text]) => [name, typed(types[name]?.type, text)]))
}

function typed(type: string | undefined, text: string): unknown {
  if (type === 'integer' && /^[-+]?\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text)
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true'
  return text
}

/** The `-p` pairs typed by the parameters of workflow `name` as the server has it. */
export async function parametersFor(client: ApiClient, name: string, pairs: Array<[string, string]>): Promise<Record<string, unknown>> {
  if (pairs.length === 0) return {}
  const workflow = await client.request<WorkflowDetail>('GET', `/api/workflows/${encodeURIComponent(name)}`)
  return typedParameters(workflow.parameters, pairs)
}
