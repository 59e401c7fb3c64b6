import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Short-lived links to one artifact, for a browser that cannot add an Authorization header (a PDF in a tab or an
 * <iframe>, an <img>). The signature binds the artifact id, the user it was issued to and the expiry, so none of
 * them can be changed, and it is made with a key derived from the server's secret, so it can never pass for a
 * token signature (nor a token for a link).
 */
export const ARTIFACT_LINK_TTL_SECONDS = 15 * 60

export interface ArtifactLink {
  user: string
  exp: number
  sig: string
}

export type LinkCheck = 'valid' | 'expired' | 'invalid'

function linkKey(secretKey: string): Buffer {
  return createHmac('sha256', secretKey).update('topup artifact link v1').digest()
}

function mac(secretKey: string, artifactId: number, user: string, exp: number): Buffer {
  return createHmac('sha256', linkKey(secretKey)).update(JSON.stringify([artifactId, user, exp])).digest()
}

export function signArtifactLink(secretKey: string, artifactId: number, user: string,
  ttlSeconds = ARTIFACT_LINK_TTL_SECONDS, now = Date.now()): ArtifactLink {
  const exp = Math.floor(now / 1000) + ttlSeconds
  return { user, exp, sig: mac(secretKey, artifactId, user, exp).toString('base64url') }
}

/** Constant-time check; a forged or altered link is `invalid` whatever its expiry, a genuine old one `expired`. */
export function checkArtifactLink(secretKey: string, artifactId: number, link: ArtifactLink, now = Date.now()): LinkCheck {
  const expected = mac(secretKey, artifactId, link.user, link.exp)
  const given = Buffer.from(link.sig, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid'
  return link.exp * 1000 <= now ? 'expired' : 'valid'
}

/** The query string of a link (`user=…&exp=…&sig=…`). */
export function linkQuery(link: ArtifactLink): string {
  return new URLSearchParams({ user: link.user, exp: String(link.exp), sig: link.sig }).toString()
}
