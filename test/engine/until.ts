import { setTimeout as delay } from 'node:timers/promises'

/**
 * A bounded poll for a state outside the engine's events (files a command wrote, a server process's database):
 * every 25 ms until `probe` gives a value, at most `timeoutMs`.
 */
export async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = probe()
    if (value) return value
    await delay(25)
  }
  throw new Error(`timed out waiting for ${what}`)
}
