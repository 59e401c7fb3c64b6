import { createHash } from 'node:crypto'
import type { FastifyHelmetOptions } from '@fastify/helmet'

/** The SHA-256 source expression of every inline <script> of a page (its import map): CSP allows exactly those. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)]
    .map((match) => `'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'`)
}

function pagePolicy(indexHtml: string): Record<string, string[]> {
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'", ...inlineScriptHashes(indexHtml)],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  }
}

/**
 * The policy of /docs (given to @fastify/swagger-ui, which sets it on its own files): the page's, except that
 * Swagger UI adds a <style> element of its own, so inline styles are allowed there (never inline scripts).
 */
export function docsPolicy(indexHtml: string): string {
  const directives = { ...pagePolicy(indexHtml), 'style-src': ["'self'", "'unsafe-inline'"] }
  return Object.entries(directives).map(([name, values]) => `${name} ${values.join(' ')}`).join('; ')
}

/**
 * Security headers (@fastify/helmet) for every answer. The content security policy is the page's (public/):
 * its own scripts and modules and its inline import map (by hash, computed from index.html, so an edit of the map
 * cannot silently break the page), its stylesheet (Preact sets `style` through the DOM, which CSP does not
 * restrict), fetches and the WebSocket to its own origin; no framing, plugins, or foreign base or form targets.
 * The same policy covers a file the page opens from memory (a blob: document inherits it), so an HTML artifact
 * cannot run scripts in the page's origin.
 * Not set, on purpose: `upgrade-insecure-requests` and HSTS — the service is reached over plain HTTP on the site's
 * network; a TLS proxy in front of it is the place for HSTS.
 */
export function securityHeaders(indexHtml: string): FastifyHelmetOptions {
  return {
    contentSecurityPolicy: { useDefaults: false, directives: pagePolicy(indexHtml) },
    strictTransportSecurity: false,
    // The page opens an artifact in a tab of its own (window.open, then a blob: address) and must keep its handle.
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
  }
}
