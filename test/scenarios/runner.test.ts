// The suite runner in virtual time over the in-memory network: a case that cannot run fails on its
// own and the others still run and are judged.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../runtime/clock.ts';
import { MemoryNetwork } from '../../runtime/memory-transport.ts';
import { runSuite } from '../../scenarios/runner.ts';
import type { Suite } from '../../scenarios/types.ts';

const suite: Suite = {
  name: 'runner-self-test',
  description: 'runner behaviour',
  cases: [
    {
      id: 'bad-settings',
      title: 'a case whose NAS settings are invalid',
      why: 'the runner must report it, not crash',
      user: 'u1',
      password: 'p',
      method: 'pap',
      nasPolicy: { kind: 'fixed', timeoutMs: -5, retries: 0 },
      expect: { outcome: 'accept' },
    },
    {
      id: 'silent-server',
      title: 'nobody answers: the NAS times out after one try',
      why: 'a case that runs normally next to the broken one',
      user: 'u2',
      password: 'p',
      method: 'pap',
      nasPolicy: { kind: 'fixed', timeoutMs: 1_000, retries: 1 },
      expect: { outcome: 'timeout', transmissions: 2 },
    },
  ],
};

describe('runSuite', () => {
  it('fails a case that cannot run and still runs and judges the others', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork(clock);
    const running = runSuite(
      suite,
      { host: '127.0.0.1', port: 1812, secret: 's', kind: 'test' },
      { transport: network, clock },
    );
    await clock.runAll(60_000);
    const result = await running;
    expect(result.schemaVersion).toBe(1);
    expect(result.summary).toEqual({ total: 2, passed: 1, failed: 1 });
    expect(result.cases[0]).toMatchObject({ id: 'bad-settings', passed: false });
    expect(result.cases[0]?.failures[0]).toMatch(/could not run: .*timeoutMs/s);
    expect(result.cases[1]).toMatchObject({
      id: 'silent-server',
      passed: true,
      actual: { outcome: 'timeout', transmissions: 2 },
    });
  });
});
