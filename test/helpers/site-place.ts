import { userInfo } from 'node:os'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import type { HostTransports } from '../../src/remote/transport-provider.js'
import type { Transport } from '../../src/remote/transport.js'
import { siteProvider } from '../remote/site-provider.js'
import { startSshSite } from './ssh-site.js'

interface Teardown { teardown(fn: () => unknown): void }

/** Where a simulated site runs for a workflow test: its commands' transport, and the engine's hosts (beslogin). */
export interface SitePlace { transport: Transport; transports: HostTransports }

/** beslogin is this machine. */
export function onThisMachine(): SitePlace {
  const local = new LocalTransport()
  return { transport: local, transports: { transportFor: () => local, hostDown: () => null, userOf: () => userInfo().username } }
}

/** beslogin is the SSH test site's target, reached through its jump host under the target's login noise. */
export async function throughTheJump(t: Teardown): Promise<SitePlace> {
  const ssh = await startSshSite(t)
  const { provider } = siteProvider(t, ssh, { extraHosts: { beslogin: ssh.hosts.target } })
  return { transport: provider.transportFor('beslogin'), transports: provider }
}
