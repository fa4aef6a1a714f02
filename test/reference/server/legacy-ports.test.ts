// listen.legacyPorts: the server answers on 1812/1813 and on the legacy 1645/1646 together, as NPS
// does (the seed's port table), each port serving its own kind of request.
import { afterEach, describe, expect, it } from 'vitest';
import { PacketCode } from '../../../protocol/index.ts';
import { normaliseServerConfig } from '../../../reference/config/server-config.ts';
import { RadiusTestClient, settle } from '../../support/radius-test-client.ts';
import { SECRET, closeServerFixtures, startServerFixture } from './fixture.ts';

afterEach(closeServerFixtures);

const pap = [
  { name: 'User-Name', value: 'alice' },
  { name: 'User-Password', value: 'pw' },
];

describe('listen.legacyPorts', () => {
  it('true: auth on 1812 and 1645, accounting on 1813 and 1646, each answering', async () => {
    const f = await startServerFixture({
      config: { listen: { hosts: ['127.0.0.1'], authPort: 1812, acctPort: 1813, legacyPorts: true } },
    });
    expect(f.server.endpoints('auth').map((e) => e.port)).toEqual([1812, 1645]);
    expect(f.server.endpoints('acct').map((e) => e.port)).toEqual([1813, 1646]);
    for (const port of [1812, 1645]) {
      const client = await RadiusTestClient.open({
        transport: f.network,
        clock: f.clock,
        server: { address: '127.0.0.1', port },
        secret: SECRET,
      });
      const reply = await settle(f.clock, client.exchange(client.accessRequest(pap)));
      await client.close();
      expect(reply?.packet.code, `port ${port}`).toBe(PacketCode.AccessAccept);
    }
    // An Access-Request on a legacy accounting port is not served there, as on 1813.
    const wrong = await RadiusTestClient.open({
      transport: f.network,
      clock: f.clock,
      server: { address: '127.0.0.1', port: 1646 },
      secret: SECRET,
    });
    await wrong.send(wrong.accessRequest(pap).bytes);
    await f.clock.advance(0);
    await wrong.close();
    expect(f.dropped).toMatchObject([{ reason: 'unexpected-code' }]);
  });

  it('false (the default): only the configured pair', async () => {
    const f = await startServerFixture({
      config: { listen: { hosts: ['127.0.0.1'], authPort: 1812, acctPort: 1813 } },
    });
    expect(f.server.endpoints('auth').map((e) => e.port)).toEqual([1812]);
    expect(f.server.endpoints('acct').map((e) => e.port)).toEqual([1813]);
  });

  it('refused with the legacy pair already configured as the main one, naming the fix', () => {
    const result = normaliseServerConfig({
      clients: [{ name: 'vpn', address: '127.0.0.1', secret: SECRET }],
      directory: { url: 'ldap://127.0.0.1:389' },
      listen: { authPort: 1645, acctPort: 1646, legacyPorts: true },
    });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues).toMatchObject([
      { path: 'listen.legacyPorts', fix: expect.stringContaining('1812') as string },
    ]);
  });
});
