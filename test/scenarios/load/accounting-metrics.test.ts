// Accounting in a load run has metrics of its own: a server that answers logins but loses
// accounting shows in radius_accounting_timeouts, not only in longer iterations.
import { describe, expect, it } from 'vitest';
import { parseLoadProfile, type LoadProfile } from '../../../scenarios/load/profile.ts';
import type { LoadRunOutcome } from '../../../scenarios/load/runner.ts';
import { runInVirtualTime } from '../../support/load-virtual.ts';

function accountingProfile(): LoadProfile {
  const parsed = parseLoadProfile({
    scenarios: { batch: { executor: 'per-vu-iterations', vus: 3, iterations: 2 } },
    users: { source: 'generated', count: 20 },
    mix: [
      { weight: 1, method: 'pap', mfa: 'push', behaviour: { prompt: { outcome: 'approve', after: '1s' } } },
    ],
    accounting: { interims: 1, interval: '2s' },
    nas: { profile: 'radclient' },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

/** Runs the profile on the embedded server in virtual time; `silentAccounting` aims accounting at a port nothing serves. */
function run(silentAccounting: boolean): Promise<LoadRunOutcome> {
  return runInVirtualTime(accountingProfile(), (target) =>
    silentAccounting
      ? {
          ...target,
          servers: target.servers.map((server) => ({
            ...server,
            accountingPort: (server.accountingPort ?? 1813) + 100,
          })),
        }
      : target,
  );
}

describe('load runner: accounting metrics', () => {
  it('counts every Start, Interim-Update and Stop with its duration; none timed out when the server answers', async () => {
    const { states } = await run(false);
    const accepts = states.radius_accepts;
    expect(accepts).toEqual({ type: 'counter', count: 6 });
    // Start, one Interim-Update, Stop per accepted login.
    expect(states.radius_accounting_duration).toMatchObject({ type: 'trend', count: 18 });
    expect(states.radius_accounting_timeouts).toEqual({ type: 'rate', passes: 0, fails: 18 });
    expect(states.radius_accounting_errors).toEqual({ type: 'counter', count: 0 });
  });

  it('a server that answers logins but not accounting: every Accounting-Request a timeout, logins still accepted', async () => {
    const { states } = await run(true);
    expect(states.radius_accepts).toEqual({ type: 'counter', count: 6 });
    expect(states.radius_accounting_timeouts).toEqual({ type: 'rate', passes: 18, fails: 0 });
    expect(states.radius_timeouts).toMatchObject({ passes: 0 });
  });
});
