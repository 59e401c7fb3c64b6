/**
 * Hostile inputs for test/api/hostile-input.test.ts, derived from the OpenAPI schema of each parameter and
 * body, so that a route added later is swept without touching this file. Every entry is [what, value]:
 * `what` names the input in failure messages (long values are described, not printed).
 */

export interface JsonSchema {
  type?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  anyOf?: JsonSchema[]
  enum?: unknown[]
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
}

/** Path segments, inserted into the URL as they are (so some are percent-encoded on purpose). */
export const hostilePathValues: [string, string][] = [
  ['non-numeric', 'abc'], ['negative', '-1'], ['zero', '0'], ['1e309', '1e309'], ['2^63', '9223372036854775808'],
  ['fraction', '1.5'], ['hex', '0x1'], ['5000 digits', '9'.repeat(5000)], ['5000 letters', 'x'.repeat(5000)],
  ['unicode', encodeURIComponent('任务①')], ['encoded ../', '..%2F..%2Fetc%2Fpasswd'], ['raw ../', '../../etc/passwd'],
  ['%00', '%00'], ['1%00', '1%00'], ['lone %', '%'], ['broken percent-encoding', '%E0%A4%A'], ['empty', ''],
]

const huge = 'x'.repeat(100_000)

/** Query values that break the parameter's schema; each is a raw `name=value` query string. */
export function hostileQueryValues(name: string, schema: JsonSchema): [string, string][] {
  const out: [string, string][] = []
  const add = (what: string, value: string) => out.push([`${what} ${name}=${value.length > 40 ? `(${value.length} chars)` : value}`, `${name}=${value}`])
  const enums = schema.anyOf?.flatMap((s) => s.enum ?? []) ?? schema.enum
  if (schema.type === 'integer' || schema.type === 'number') {
    add('non-numeric', 'abc'); add('fraction', '1.5'); add('1e309', '1e309'); add('2^63', '9223372036854775808')
    add('empty', ''); add('5000 digits', '9'.repeat(5000)); add('unicode', encodeURIComponent('①')); add('%00', '%00')
    if (schema.minimum !== undefined) add('below minimum', String(schema.minimum - 1))
    if (schema.maximum !== undefined) add('above maximum', String(schema.maximum + 1))
    out.push([`repeated ${name}=1&${name}=2`, `${name}=1&${name}=2`])
  } else if (enums) {
    add('unknown value', 'bogus'); add('empty', ''); add('huge', huge)
    out.push([`repeated ${name}`, `${name}=${String(enums[0])}&${name}=${String(enums[0])}`])
  } else if (schema.type === 'string') {
    if (schema.minLength) add('empty', '')
    add('huge', huge)
    out.push([`repeated ${name}`, `${name}=a&${name}=b`])
  }
  return out
}

const wrongTypeValues: Record<string, unknown[]> = {
  string: [12345, true, null, {}, []],
  integer: ['abc', '1', 1.5, true, null, {}, []],
  number: ['abc', '1', true, null, {}, []],
  boolean: ['yes', 'true', 1, 0, null, {}, []],
  object: ['text', 5, true, null, [], [{}]],
  array: ['text', 5, {}, null],
}

/** `{"a":{"a":…{}}}` as text: JSON.stringify itself cannot go this deep. */
const deepJson = (depth: number) => `${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`
const deepDepth = 100_000

export interface BodyProbe { what: string; payload: string; contentType?: string }

/** Bodies that must be refused, built from the route's body schema and a body it accepts. */
export function hostileBodies(schema: JsonSchema, valid: Record<string, unknown>): BodyProbe[] {
  const json = (what: string, body: unknown): BodyProbe => ({ what, payload: JSON.stringify(body) })
  const raw = (what: string, payload: string, contentType = 'application/json'): BodyProbe => ({ what, payload, contentType })
  const out: BodyProbe[] = [
    raw('truncated JSON', '{"a": '), raw('unquoted keys', '{a: 1}'), raw('single quotes', "{'a': 1}"),
    raw('trailing garbage', `${JSON.stringify(valid)}}`), raw('NaN', 'NaN'), raw('NUL byte', '\u0000'),
    raw('empty body', ''), raw('only whitespace', '   '),
    raw('array', '[]'), raw('array of the body', `[${JSON.stringify(valid)}]`), raw('string', '"text"'),
    raw('null', 'null'), raw('number', '42'), raw('boolean', 'true'),
    raw('text/plain', JSON.stringify(valid), 'text/plain'), raw('form-encoded', 'a=1', 'application/x-www-form-urlencoded'),
    raw('XML', '<task/>', 'application/xml'), raw('multipart', '--x\r\n\r\n--x--', 'multipart/form-data; boundary=x'),
    raw('no content type', JSON.stringify(valid), ''),
    raw('__proto__ key', `{"__proto__": {"admin": true}, ${JSON.stringify(valid).slice(1)}`),
    raw('constructor.prototype key', `{"constructor": {"prototype": {"admin": true}}, ${JSON.stringify(valid).slice(1)}`),
    json('extra field', { ...valid, unexpected_field: 1 }),
    raw('deeply nested extra field', JSON.stringify({ ...valid, nested: 'DEEP' }).replace('"DEEP"', deepJson(deepDepth))),
    raw('200k nested arrays', `${'['.repeat(200_000)}${']'.repeat(200_000)}`),
    json('1.1 MiB body', { ...valid, filler: 'x'.repeat(1_100_000) }),
  ]
  for (const field of schema.required ?? []) {
    const { [field]: _, ...rest } = valid
    out.push(json(`missing required ${field}`, rest))
  }
  for (const [field, prop] of Object.entries(schema.properties ?? {})) {
    for (const wrong of wrongTypeValues[prop.type ?? ''] ?? []) {
      out.push(json(`${field} = ${JSON.stringify(wrong)} (wants ${prop.type})`, { ...valid, [field]: wrong }))
    }
    if (prop.type === 'object') {
      out.push(raw(`${field} nested ${deepDepth} deep`, JSON.stringify({ ...valid, [field]: 'DEEP' }).replace('"DEEP"', deepJson(deepDepth))))
      out.push(raw(`${field} with a __proto__ key`, JSON.stringify({ ...valid, [field]: 'PROTO' }).replace('"PROTO"', '{"__proto__": {"x": 1}}')))
    }
    if (prop.type === 'string' && prop.maxLength !== undefined) out.push(json(`${field} over maxLength`, { ...valid, [field]: 'x'.repeat(prop.maxLength + 1) }))
    if (prop.type === 'string' && prop.minLength) out.push(json(`${field} empty`, { ...valid, [field]: '' }))
  }
  return out
}
