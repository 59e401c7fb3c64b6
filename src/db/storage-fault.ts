/**
 * Errors of the storage under the service rather than of a request or a bug: the disk is full, it failed to
 * read or write, or it is read-only. SQLite reports them as SQLITE_FULL, SQLITE_IOERR (and its extended codes,
 * SQLITE_IOERR_WRITE…), SQLITE_READONLY…; Node's own file writes (artifacts) as ENOSPC, EIO, EROFS.
 */
export type StorageFaultKind = 'full' | 'io' | 'readonly'

export interface StorageFault {
  kind: StorageFaultKind
  /** The code the fault was reported with: SQLITE_FULL, SQLITE_IOERR_WRITE, ENOSPC… */
  code: string
}

const kindOfCode = (code: string): StorageFaultKind | null => {
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'full'
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_') || code === 'EROFS') return 'readonly'
  if (code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_') || code === 'SQLITE_CANTOPEN' || code === 'EIO') return 'io'
  return null
}

/** The storage fault behind `error` (looked for along its `cause` chain), or null when it is none. */
export function storageFault(error: unknown): StorageFault | null {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    const kind = typeof code === 'string' ? kindOfCode(code) : null
    if (kind) return { kind, code: code as string }
  }
  return null
}

const plain: Record<StorageFaultKind, string> = {
  full: 'the server\'s disk is full',
  io: 'the server\'s disk failed to read or write',
  readonly: 'the server\'s database is read-only',
}

/** What the fault means, in words for a person: "the server's disk is full". */
export function describeFault(fault: StorageFault): string {
  return plain[fault.kind]
}
