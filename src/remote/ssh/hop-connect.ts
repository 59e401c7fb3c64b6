import { readFileSync } from 'node:fs'
import { connect as tcpConnect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { Client, type ConnectConfig } from 'ssh2'
import { TransportError } from '../transport.js'
import type { NamedHost } from '../hosts.js'
import { HostKeyRejected, type HostKeyOutcome, type HostKeyPolicy } from './host-key-policy.js'
import { hostKeyFromBlob } from './known-hosts.js'
import { connectError } from './ssh-errors.js'
import { messageOf } from '../../errors.js'

export interface HopOptions {
  env: NodeJS.ProcessEnv
  policy: HostKeyPolicy
  /** Told about each hop's host key once it was accepted (hosts:check prints it). */
  onHostKey?: (host: NamedHost, outcome: HostKeyOutcome) => void
}

export function hopLabel(host: NamedHost): string {
  return `${host.name} (${host.hostname}:${host.port})`
}

/** A TCP connection to the first hop, with Nagle off: small SSH packets must not wait for delayed ACKs. */
export function openSocket(host: NamedHost, chain: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: host.hostname, port: host.port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(connectError(Object.assign(new Error('TCP connect timed out'), { code: 'ETIMEDOUT' }), hopLabel(host), chain))
    }, host.connect_timeout_seconds * 1000)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.setNoDelay(true)
      resolve(socket)
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(connectError(error, hopLabel(host), chain))
    })
  })
}

/**
 * SSH handshake, host key check and authentication over an open stream (a socket or a forwarded channel). The
 * stream belongs to the handshake from here on: on any failure, missing credentials included, it is destroyed.
 */
export function sshHandshake(host: NamedHost, sock: Duplex, chain: string, options: HopOptions): Promise<Client> {
  const where = hopLabel(host)
  let auth: Partial<ConnectConfig>
  try {
    auth = authOptions(host, options.env, chain)
  } catch (error) {
    // the caller opened the stream for this hop; left open it would leak on every reconnect
    sock.destroy()
    return Promise.reject(error)
  }
  const client = new Client()
  let rejected: unknown = null
  return new Promise((resolve, reject) => {
    // ssh2 may report more than one error for a failed handshake; the first one decides, the rest are dropped
    let settled = false
    client.once('ready', () => {
      settled = true
      resolve(client)
    })
    client.on('error', (error) => {
      if (settled) return
      settled = true
      client.end()
      sock.destroy()
      reject(connectError(rejected ?? error, where, chain))
    })
    client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
      finish(prompts.map(() => auth.password ?? ''))
    })
    try {
      connectClient()
    } catch (error) {
      sock.destroy()
      reject(new TransportError('auth_failed', `cannot use the credentials of ${where} [${chain}]: ${messageOf(error)}`, chain))
    }
  })

  function connectClient(): void {
    client.connect({
      sock,
      username: host.username,
      ...auth,
      tryKeyboard: auth.password !== undefined,
      keepaliveInterval: host.keepalive_seconds * 1000,
      keepaliveCountMax: 3,
      readyTimeout: host.connect_timeout_seconds * 1000,
      hostVerifier: (blob: Buffer, verify: (valid: boolean) => void) => {
        const key = hostKeyFromBlob(blob)
        options.policy.verify(host.hostname, host.port, key).then((outcome) => {
          options.onHostKey?.(host, outcome)
          verify(true)
        }, (error: unknown) => {
          rejected = error instanceof HostKeyRejected ? error : new Error(`host key check failed: ${String(error)}`)
          verify(false)
        })
      },
    } as ConnectConfig)
  }
}

function authOptions(host: NamedHost, env: NodeJS.ProcessEnv, chain: string): Partial<ConnectConfig> {
  const auth: Partial<ConnectConfig> = {}
  const fail = (message: string) => new TransportError('auth_failed', `${message} [${chain}]`, chain)
  if (host.password_env) {
    const password = env[host.password_env]
    if (!password) throw fail(`password for ${hopLabel(host)}: environment variable ${host.password_env} is not set`)
    auth.password = password
  }
  if (host.private_key_file) {
    try {
      auth.privateKey = readFileSync(host.private_key_file)
    } catch (error) {
      throw fail(`cannot read private key ${host.private_key_file} for ${hopLabel(host)}: ${messageOf(error)}`)
    }
    if (host.passphrase_env) {
      const passphrase = env[host.passphrase_env]
      if (passphrase === undefined) {
        throw fail(`passphrase for ${hopLabel(host)}: environment variable ${host.passphrase_env} is not set`)
      }
      auth.passphrase = passphrase
    }
  }
  if (env.SSH_AUTH_SOCK) auth.agent = env.SSH_AUTH_SOCK
  if (!auth.password && !auth.privateKey && !auth.agent) {
    throw fail(`no credentials for ${hopLabel(host)}: set password_env or private_key_file, or run an ssh-agent`)
  }
  return auth
}
