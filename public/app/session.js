/**
 * The sign-in token. It arrives in the address's fragment (`#token=…`, never sent to a server or a proxy), is
 * kept, and is dropped from the address bar at once so it is not bookmarked, shared or left in the history.
 *
 * Kept in localStorage, not sessionStorage: a task opened in a new tab or a wall screen reloaded in the morning
 * stays signed in until the token expires (24 h by default), which is how the page is used. The token is a
 * bearer credential either way (any script of the page could read both stores); "sign out" removes it, and the
 * server refuses it once expired.
 */
const KEY = 'topup.token'

export function takeTokenFromAddress() {
  const match = /^#token=([\w.-]+)/.exec(location.hash)
  if (!match) return
  localStorage.setItem(KEY, match[1])
  history.replaceState(null, '', `${location.pathname}${location.search}#/`)
}

function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0))
    return JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    return null
  }
}

/**
 * The stored session: `{token, user, role, expiresAt}`; `null` with no token; `{expired: true}` once it has
 * expired or been refused. The claims are read for display only: the server checks the signature on every request.
 */
export function readSession() {
  const token = localStorage.getItem(KEY)
  if (!token) return null
  const claims = claimsOf(token)
  if (!claims || typeof claims.exp !== 'number') return { expired: true }
  const expiresAt = new Date(claims.exp * 1000)
  if (expiresAt <= new Date()) return { expired: true }
  return { token, user: claims.sub ?? claims.user_id, role: claims.role ?? 'user', expiresAt }
}

/** The server refused the token: keep the "expired" state until a new link arrives. */
export function markRefused() {
  localStorage.setItem(KEY, 'refused')
}

export function signOut() {
  localStorage.removeItem(KEY)
}
