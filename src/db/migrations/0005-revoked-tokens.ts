import type { Migration } from './migration.js'

/**
 * Bearer tokens withdrawn before their expiry (`npm run token -- --revoke <jti>`), by their `jti`. Every request
 * with a token that carries a jti asks this table. `expires_at`, when known, is the token's own expiry: after it
 * the row no longer matters (the token is refused as expired anyway).
 */
export const revokedTokens: Migration = {
  name: '0005-revoked-tokens',
  sql: `
CREATE TABLE revoked_tokens (
  jti        TEXT NOT NULL PRIMARY KEY,
  expires_at TEXT,
  revoked_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
`,
}
