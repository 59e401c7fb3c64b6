import { extname } from 'node:path'

/** Content types of the files the Topup workflows bring back; anything else is served as plain bytes. */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.eps': 'application/postscript',
  '.ps': 'application/postscript',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.out': 'text/plain; charset=utf-8',
  '.err': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json',
  '.root': 'application/x-root',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.zip': 'application/zip',
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'

export function contentTypeOf(fileName: string): string {
  return BY_EXTENSION[extname(fileName).toLowerCase()] ?? DEFAULT_CONTENT_TYPE
}

/** A stored type that is a plain `type/subtype[; charset=x]`, or the default (never a header-breaking string). */
export function safeContentType(stored: string | null | undefined): string {
  return stored && /^[\w.+-]+\/[\w.+-]+(?:; ?charset=[\w-]+)?$/.test(stored) ? stored : DEFAULT_CONTENT_TYPE
}
