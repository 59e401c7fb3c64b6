import type { Db } from '../db/connect.js'
import { reusableQuery } from '../db/reusable-query.js'

/** Withdraws a token by its id; revoking one twice is harmless. */
export async function revokeToken(db: Db, jti: string, expiresAt: string | null): Promise<void> {
  await db.insertInto('revoked_tokens').values({ jti, expires_at: expiresAt }).onConflict((oc) => oc.column('jti').doNothing()).execute()
}

export async function isRevoked(db: Db, jti: string): Promise<boolean> {
  return (await revocation(db, jti)).length > 0
}
const revocation = reusableQuery((db: Db, jti: string) => db.selectFrom('revoked_tokens').select('jti').where('jti', '=', jti))
