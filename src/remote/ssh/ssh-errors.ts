import { TransportError, type TransportErrorKind } from '../transport.js'
import { HostKeyRejected } from './host-key-policy.js'
import { messageOf } from '../../errors.js'

/**
 * Turns what net, ssh2 and the host-key check throw while one hop connects into a named TransportError.
 * `where` is the hop ("beslogin (127.0.0.1:22)"), `chain` the whole chain label for the error's hostChain.
 */
export function connectError(error: unknown, where: string, chain: string): TransportError {
  if (error instanceof TransportError) return error
  if (error instanceof HostKeyRejected) return new TransportError(error.kind, error.message, chain)
  const e = error as Error & { code?: string; level?: string }
  const detail = e.message ?? String(error)
  const kind = kindOf(e)
  const text: Record<TransportErrorKind, string> = {
    connection_refused: `connection to ${where} refused`,
    auth_failed: `authentication failed at ${where} (check the user and the password/key variables)`,
    dns_failure: `cannot resolve the name of ${where}`,
    timeout: `timed out connecting to ${where}`,
    connection_lost: `connection to ${where} lost while connecting`,
    jump_host_down: `jump host ${where} is down`,
    target_unreachable: `${where} is unreachable from the jump host`,
    host_key_mismatch: `host key of ${where} refused`,
    host_key_unknown: `host key of ${where} unknown`,
    channel_open_failed: `${where} refused to open a channel`,
    unknown_host: `unknown host ${where}`,
    file_not_found: `file not found on ${where}`,
  }
  return new TransportError(kind, `${text[kind]} [${chain}]: ${detail}`, chain)
}

function kindOf(e: { code?: string; level?: string; message?: string }): TransportErrorKind {
  if (e.level === 'client-authentication') return 'auth_failed'
  if (e.level === 'client-timeout') return 'timeout'
  switch (e.code) {
    case 'ECONNREFUSED': return 'connection_refused'
    case 'ENOTFOUND': case 'EAI_AGAIN': case 'EAI_NONAME': return 'dns_failure'
    case 'ETIMEDOUT': return 'timeout'
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'connection_refused'
  }
  return 'connection_lost'
}

/**
 * A failure of a jump hop seen from the host behind it: network faults of the jump become jump_host_down
 * (retryable); authentication and host-key faults of the jump keep their kind (not retryable).
 */
export function viaJumpError(error: TransportError, chain: string): TransportError {
  const network = ['connection_refused', 'timeout', 'dns_failure', 'connection_lost', 'target_unreachable', 'jump_host_down']
  const kind = network.includes(error.kind) ? 'jump_host_down' : error.kind
  return new TransportError(kind, error.message, chain)
}

export function channelError(error: unknown, where: string, chain: string): TransportError {
  if (error instanceof TransportError) return error
  const message = messageOf(error)
  if (/not connected|no response|closed|ECONNRESET|EPIPE/i.test(message)) {
    return new TransportError('connection_lost', `connection to ${where} lost [${chain}]: ${message}`, chain)
  }
  return new TransportError('channel_open_failed', `${where} refused a channel [${chain}]: ${message}`, chain)
}
