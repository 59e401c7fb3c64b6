import { Type, type Static } from 'typebox'

const HostState = Type.Union([Type.Literal('connected'), Type.Literal('idle'), Type.Literal('failing'), Type.Literal('down')], {
  description: 'connected: a pooled connection is open; idle: none is (one opens on first use); failing: the last attempts failed; '
    + 'down: failed often enough in a row that tasks needing the host pause',
})

export const ReadyChecksSchema = Type.Object({
  database: Type.Object({
    ok: Type.Boolean({ description: 'a write transaction committed just now' }),
  }),
  workflows: Type.Object({
    ok: Type.Boolean({ description: 'at least one workflow definition is loaded' }),
    loaded: Type.Integer(),
    runnable: Type.Integer({ description: 'loaded workflows whose every step type is implemented' }),
  }),
  hosts: Type.Array(Type.Object({
    host: Type.String(),
    state: HostState,
    channels_in_use: Type.Integer(),
    channels_queued: Type.Integer(),
    max_sessions: Type.Integer(),
    consecutive_failures: Type.Integer(),
    last_error_kind: Type.Union([Type.String(), Type.Null()], { description: 'kind of the last connection failure (auth_failed, timeout, …)' }),
  }), { description: 'each SSH host of HOSTS_FILE; a host down does not make the service unready (its tasks pause)' }),
})
export type ReadyChecks = Static<typeof ReadyChecksSchema>

export const ReadySchema = Type.Object({
  status: Type.Literal('ready'),
  checks: ReadyChecksSchema,
}, {
  examples: [{
    status: 'ready',
    checks: {
      database: { ok: true }, workflows: { ok: true, loaded: 3, runnable: 3 },
      hosts: [{ host: 'beslogin', state: 'connected', channels_in_use: 2, channels_queued: 0, max_sessions: 8, consecutive_failures: 0, last_error_kind: null }],
    },
  }],
})
