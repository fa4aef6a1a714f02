import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../runtime/clock.ts';
import { MemoryNetwork } from '../../../runtime/memory-transport.ts';
import { NasConfigError, createNas, formatTrace } from '../../../simulators/nas/index.ts';
import { settle, setup } from './support/harness.ts';

function base() {
  const clock = new VirtualClock(0);
  return { clock, transport: new MemoryNetwork(clock) };
}

describe('createNas options', () => {
  it('reports every invalid setting at once, with the field and the fix', () => {
    let error: unknown;
    try {
      createNas({
        ...base(),
        servers: [
          { host: 'radius.example.com', secret: 's' },
          { host: '127.0.0.1', port: 70_000, secret: '' },
        ],
        profile: 'palo-alto',
        policy: { retries: -1 },
        maxSockets: 0,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NasConfigError);
    const issues = (error as NasConfigError).issues;
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        'maxSockets',
        'policy.retries',
        'servers[0].host',
        'servers[1].port',
        'servers[1].accountingPort',
        'servers[1].secret',
      ].sort(),
    );
    expect((error as NasConfigError).code).toBe('RADMFA_NAS_CONFIG_INVALID');
  });

  it('refuses an empty server list and a family mismatch', () => {
    expect(() => createNas({ ...base(), servers: [] })).toThrow(/servers: no RADIUS server given/);
    expect(() =>
      createNas({ ...base(), servers: [{ host: '::1', secret: 's' }], localAddress: '127.0.0.1' }),
    ).toThrow(/IPv6 server, IPv4 NAS socket/);
  });

  it('defaults the ports to 1812/1813 and the accounting port to port + 1', () => {
    const nas = createNas({
      ...base(),
      servers: [
        { host: '127.0.0.1', secret: 's' },
        { host: '127.0.0.1', port: 11_812, secret: 's' },
      ],
    });
    expect(nas.servers.map((s) => [s.port, s.accountingPort])).toEqual([
      [1812, 1813],
      [11_812, 11_813],
    ]);
    expect(nas.profile.name).toBe('rfc5080');
  });

  it('describes itself with the sources of its numbers', () => {
    const nas = createNas({ ...base(), servers: [{ host: '127.0.0.1', secret: 's' }], profile: 'palo-alto' });
    const text = nas.describe();
    expect(text).toContain('palo-alto');
    expect(text).toContain('waits 3 s after each of 3 transmission(s)');
    expect(text).toContain('Timeout default 3 s');
  });

  it('can leave out NAS-Identifier and NAS-Port-Type', async () => {
    const { clock, servers, nas } = await setup([{}], { nasIdentifier: null, nasPortType: null });
    await settle(clock, nas.login({ method: 'pap', user: 'alice', password: 'correct horse' }));
    const names = servers[0]?.received[0]?.attributes.map((a) => a.name);
    expect(names).not.toContain('NAS-Identifier');
    expect(names).not.toContain('NAS-Port-Type');
  });

  it('publishes trace events as they happen and formats a trace', async () => {
    const seen: string[] = [];
    const { clock, nas } = await setup([{ replyPlan: (i) => (i === 0 ? 'drop' : 'send') }], {
      profile: 'radclient',
      onTrace: (event) => seen.push(event.kind),
    });
    const result = await settle(
      clock,
      nas.login({ method: 'pap', user: 'alice', password: 'correct horse' }),
    );
    expect(seen).toEqual(['send', 'timeout', 'retransmit', 'reply']);
    const text = formatTrace(result.trace);
    expect(text).toMatch(/^\+0 ms send Access-Request id=0 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+/);
    expect(text).toContain('+5000 ms retransmit Access-Request id=0');
    expect(text).toContain('+5000 ms reply Access-Accept id=0 after 0 ms');
  });
});
