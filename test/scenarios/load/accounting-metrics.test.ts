// Accounting in a load run has metrics of its own: a server that answers logins but loses
// accounting shows in radius_accounting_timeouts, not only in longer iterations.
import { describe, expect, it } from 'vitest';
import { driveUntilSettled } from '../../../scenarios/engine/drive.ts';
import { parseLoadProfile, type LoadProfile } from '../../../scenarios/load/profile.ts';
import { runLoad, type LoadRunOutcome } from '../../../scenarios/load/runner.ts';
import { openLoadTarget } from '../../../scenarios/load/target.ts';
import { openUserPool } from '../../../scenarios/load/users.ts';

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
async function run(silentAccounting: boolean): Promise<LoadRunOutcome> {
  const profile = accountingProfile();
  const opened = await openUserPool(profile);
  if (!opened.ok) throw new Error(JSON.stringify(opened.issues));
  const target = await openLoadTarget({ kind: 'embedded-virtual' }, opened.pool, profile.seed);
  try {
    const clock = target.virtualClock;
    if (clock === undefined) throw new Error('the embedded-virtual target has no virtual clock');
    const servers = silentAccounting
      ? target.servers.map((server) => ({ ...server, accountingPort: (server.accountingPort ?? 1813) + 100 }))
      : target.servers;
    const work = runLoad({ profile, target: { ...target, servers }, pool: opened.pool });
    return await driveUntilSettled(clock, work, 3_600_000);
  } finally {
    await target.close();
    await opened.pool.dispose();
  }
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
