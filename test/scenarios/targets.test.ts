// The same cases on each target: in memory and virtual time, over loopback UDP in real time, and on
// a server named as an external target (here the embedded default on loopback, seen from outside).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDirectoryFixture, embeddedDefaultConfig } from '../../scenarios/embedded/defaults.ts';
import { startUdpStack, startVirtualStack, type EmbeddedStack } from '../../scenarios/embedded/stacks.ts';
import { embeddedTarget, placeCase, runCase, runConformance } from '../../scenarios/engine/index.ts';
import { SystemClock } from '../../runtime/clock.ts';
import type { Transport } from '../../runtime/transport.ts';
import { loadSuiteFile, type LoadedSuite } from '../../scenarios/suites/loader.ts';
import { loadYaml } from './support.ts';

function smoke(): LoadedSuite {
  const loaded = loadSuiteFile(path.join(import.meta.dirname, 'suites/smoke.yaml'));
  if (!loaded.ok) throw new Error('smoke.yaml is invalid');
  return loaded.value;
}

const statuses = (result: Awaited<ReturnType<typeof runConformance>>): Record<string, string> =>
  Object.fromEntries(result.suites.flatMap((s) => s.cases).map((c) => [c.id, `${c.status} on ${c.target}`]));

describe('runner targets', () => {
  it('runs the smoke cases on embedded-virtual, where a 90 s wait costs no wall time', async () => {
    const result = await runConformance({ suites: [smoke()], target: 'embedded-virtual', seed: 7 });
    expect(statuses(result)).toEqual({
      'push-approved': 'passed on embedded-virtual',
      'wrong-password': 'passed on embedded-virtual',
      'status-server': 'passed on embedded-virtual',
      'bad-message-authenticator': 'passed on embedded-virtual',
      'accounting-once': 'passed on embedded-virtual',
    });
    expect(result.schemaVersion).toBe(2);
    expect(result.seed).toBe(7);
    const push = result.suites[0]?.cases[0];
    // Virtual stacks report the NAS's view of time: the 2 s push approval, not the microseconds spent.
    expect(push?.durationMs).toBe(2_000);
    expect(push?.timeline.map((e) => e.label)).toEqual(
      expect.arrayContaining(['Access-Request id=0', 'begin push', 'Access-Accept id=0']),
    );
    expect(JSON.stringify(push?.timeline)).not.toContain('Passw0rd!');
  });

  it('runs the same cases on embedded-udp over loopback sockets', async () => {
    const result = await runConformance({ suites: [smoke()], target: 'embedded-udp', seed: 7 });
    expect(statuses(result)).toEqual({
      'push-approved': 'passed on embedded-udp',
      'wrong-password': 'passed on embedded-udp',
      'status-server': 'passed on embedded-udp',
      'bad-message-authenticator': 'passed on embedded-udp',
      'accounting-once': 'passed on embedded-udp',
    });
  }, 30_000);

  it('places each case on its first embedded target for `embedded`, and skips with the reason', () => {
    const suite = loadYaml(`
suite: placement
description: placement
cases:
  - { id: default, title: d, why: x, steps: [{ kind: wait, for: 1s }] }
  - { id: udp-only, title: u, why: x, targets: [embedded-udp], steps: [{ kind: wait, for: 1s }] }
  - { id: external-only, title: e, why: x, targets: [external], steps: [{ kind: wait, for: 1s }] }
  - id: impaired
    title: i
    why: x
    targets: [embedded-udp, embedded-virtual]
    topology: { network: { loss: 0.5 } }
    steps: [{ kind: wait, for: 1s }]
  - id: needs-user
    title: n
    why: x
    targets: [external]
    needs: [pap-user]
    steps: [{ kind: login, user: alice, password: Passw0rd! }]
  - id: prompts
    title: p
    why: x
    targets: [external, embedded-virtual]
    steps: [{ kind: login, user: alice, password: Passw0rd! }]
    expect: { mfaPrompts: 1 }
`);
    const [byDefault, udpOnly, externalOnly, impaired, needsUser, prompts] = suite.cases;
    const external = { host: '127.0.0.1', port: 1812, secret: 's' };
    expect(placeCase(byDefault!, 'embedded')).toEqual({ run: 'embedded-virtual' });
    expect(placeCase(udpOnly!, 'embedded')).toEqual({ run: 'embedded-udp' });
    expect(placeCase(udpOnly!, 'embedded-virtual')).toEqual({
      skip: 'embedded-virtual',
      reason: 'runs on embedded-udp only',
    });
    expect(placeCase(externalOnly!, 'embedded')).toMatchObject({ reason: 'external only' });
    expect(placeCase(impaired!, 'embedded-udp')).toMatchObject({
      reason: 'network impairments need embedded-virtual',
    });
    expect(placeCase(byDefault!, external)).toEqual({ skip: 'external', reason: 'embedded only' });
    expect(placeCase(needsUser!, external)).toEqual({
      skip: 'external',
      reason: 'needs a PAP user: pass --user and --password',
    });
    expect(placeCase(needsUser!, { ...external, user: 'u', password: 'p' })).toEqual({ run: 'external' });
    const hidden = placeCase(prompts!, external);
    expect('reason' in hidden ? hidden.reason : '').toContain('expect.mfaPrompts');
  });

  it('a case that throws is reported as failed with the error, not thrown', async () => {
    const suite = loadYaml(`
suite: throws
description: a broken transport
cases:
  - { id: raw, title: r, why: x, steps: [{ kind: packet, attributes: [{ name: User-Name, value: alice }] }] }
`);
    const refusing: Transport = { bind: () => Promise.reject(new Error('no sockets today')) };
    const result = await runCase(
      suite.cases[0]!,
      {
        kind: 'external',
        clock: new SystemClock(),
        transport: refusing,
        host: '127.0.0.1',
        authPort: 9,
        acctPort: 10,
        secret: 's',
        localAddress: '127.0.0.1',
        unknownClientAddress: '127.0.0.2',
      },
      { seed: 1 },
    );
    expect(result.status).toBe('failed');
    expect(result.failures[0]?.expectation).toBe('(case)');
    expect(result.failures[0]?.actual).toContain('no sockets today');
  });

  it('a case that outlives its virtual-time bound fails instead of running on', async () => {
    const suite = loadYaml(`
suite: bounded
description: a wait longer than the bound
cases:
  - { id: long, title: l, why: x, steps: [{ kind: wait, for: 2m }] }
`);
    const stack = await startVirtualStack({
      serverConfig: embeddedDefaultConfig(),
      directoryFixture: demoDirectoryFixture,
    });
    try {
      const result = await runCase(suite.cases[0]!, embeddedTarget(stack), {
        seed: 1,
        virtualBoundMs: 60_000,
      });
      expect(result.status).toBe('failed');
      expect(result.failures[0]?.actual).toContain('did not finish within 60 s of virtual time');
    } finally {
      await stack.close();
    }
  });

  describe('external target', () => {
    let stack: EmbeddedStack;
    beforeAll(async () => {
      stack = await startUdpStack({
        serverConfig: embeddedDefaultConfig(),
        directoryFixture: demoDirectoryFixture,
      });
    });
    afterAll(() => stack.close());

    it('runs the cases that list external against a server at HOST:PORT, with its user', async () => {
      const suite = loadYaml(`
suite: outside
description: seen from outside
cases:
  - id: wrong-password
    title: a wrong password is rejected
    why: RFC 2865 4.3
    targets: [external]
    needs: [wrong-password]
    steps: [{ kind: login, user: alice, password: not-it, expect: { outcome: reject } }]
  - id: proxy-state
    title: Proxy-State echoed
    why: RFC 2865 5.33
    targets: [external]
    needs: [pap-user]
    steps:
      - kind: packet
        attributes:
          - { name: User-Name, value: alice }
          - { name: User-Password, value: wrong }
          - { name: Proxy-State, value: p1 }
        expect: { reply: Access-Reject, proxyStateEchoed: true }
  - id: embedded-only
    title: e
    why: x
    steps: [{ kind: status-server }]
`);
      const result = await runConformance({
        suites: [suite],
        target: {
          host: stack.auth.address,
          port: stack.auth.port,
          acctPort: stack.acct.port,
          secret: 'testing123',
          user: 'bob',
          password: 'Passw0rd!',
        },
        seed: 1,
      });
      expect(statuses(result)).toEqual({
        'wrong-password': 'passed on external',
        'proxy-state': 'passed on external',
        'embedded-only': 'skipped on external',
      });
      expect(result.target).toMatchObject({
        kind: 'external',
        address: `${stack.auth.address}:${stack.auth.port}`,
      });
    }, 20_000);
  });
});
