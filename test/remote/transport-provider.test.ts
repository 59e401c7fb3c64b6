import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { LocalTransport } from '../../src/remote/local/local-transport.js'
import { createTransportProvider, localTransports } from '../../src/remote/transport-provider.js'
import { freshDatabase } from '../helpers/db.js'

// The one provider answers `local` itself; nothing here connects anywhere.

t.test('local, no host and a host with transport "local" run here; an unknown name is unknown_host', async (t) => {
  const { db, dir } = freshDatabase(t)
  const hostsFile = join(dir, 'hosts.json')
  writeFileSync(hostsFile, JSON.stringify({ hosts: {
    box: { hostname: 'box.example', username: 'u', transport: 'local' },
    far: { hostname: 'far.example', username: 'u' },
  } }))
  const local = new LocalTransport()
  const provider = createTransportProvider({ config: { HOSTS_FILE: hostsFile, KNOWN_HOSTS_POLICY: 'strict' }, db, local })
  t.teardown(() => provider.close())
  for (const host of [undefined, 'local', 'box']) t.equal(provider.transportFor(host), local, `${host} runs here`)
  t.equal(provider.transportFor('far').host, 'far', 'a host of HOSTS_FILE gets its own transport')
  t.equal(provider.transportFor('far'), provider.transportFor('far'), 'one per host')
  t.throws(() => provider.transportFor('nowhere'), { name: 'TransportError', kind: 'unknown_host' })
  for (const host of [undefined, 'local', 'box', 'far']) t.equal(provider.hostDown(host), null, `${host} is not down`)
})

t.test('localTransports: `local` only', async (t) => {
  const local = new LocalTransport()
  const transports = localTransports(local)
  t.equal(transports.transportFor(undefined), local)
  t.equal(transports.transportFor('local'), local)
  t.throws(() => transports.transportFor('far'), { name: 'TransportError', kind: 'unknown_host' })
  t.equal(transports.hostDown('far'), null)
})
