// The lean NAS path in the load runner records what nas.login records. One small profile runs twice
// against the embedded server in virtual time, seen as an external server (no prompt observer, so
// PAP logins may go lean): once with every login forced through nas.login, once routed. The mix has
// every ending: accept (MFA push approved), reject (push denied, wrong password), an Access-Challenge
// nobody answers (SMS user, no code), timeouts with retransmissions (push slower than the NAS gives
// up), plus logins that must stay on nas.login (an OTP user, CHAP), and accounting after accepts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLoadProfile, type LoadProfile } from '../../../scenarios/load/profile.ts';
import type { LoadRunOutcome } from '../../../scenarios/load/runner.ts';
import { SERIES_COUNTS } from '../../../scenarios/load/series.ts';
import { metricNames, type MetricState } from '../../../scenarios/load/metrics.ts';
import { runInVirtualTime } from '../../support/load-virtual.ts';

const CREDENTIALS = [
  'user,password,method,totpSecret',
  'alice,Passw0rd!,pap', // push approved after 2 s: accept
  'carol,Passw0rd!,pap', // push denied: reject
  'alice,Wrong-Passw0rd,pap', // wrong password: reject (and the same user with another password)
  'erin,Passw0rd!,pap', // SMS code asked for, nobody to type it: challenge, error
  'judy,Passw0rd!,pap', // push approved after 45 s, NAS gives up after 15 s: timeout, 2 retransmits
  'bob,Passw0rd!,pap,JBSWY3DPEHPK3PXP', // types the app code: nas.login
  'grace,Passw0rd!,chap', // CHAP (disabled account): nas.login
].join('\n');

let dir: string;
let profile: LoadProfile;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radmfa-nas-path-'));
  const file = join(dir, 'users.csv');
  await writeFile(file, CREDENTIALS);
  const parsed = parseLoadProfile({
    scenarios: {
      logins: {
        executor: 'constant-arrival-rate',
        rate: 7,
        duration: '2s',
        preAllocatedVUs: 20,
        maxVUs: 20,
        gracefulStop: '60s',
      },
    },
    users: { source: 'csv', file },
    accounting: { interims: 1, interval: '500ms' },
    // 5 s, 3 tries: no user's MFA time falls on a retransmission (the lean path's timers are
    // coarser, see simulators/nas/lean.ts, so a tie could go either way).
    nas: { profile: 'radclient' },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  profile = parsed.value;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runOn(nasPath: 'auto' | 'full'): Promise<LoadRunOutcome> {
  // The server seen from outside: nothing reports its MFA prompts.
  return runInVirtualTime(profile, ({ observer: _observer, ...unobserved }) => unobserved, nasPath);
}

/** Everything but the durations (whose timer granularity differs between the paths). */
function counts(state: MetricState): number | readonly number[] {
  switch (state.type) {
    case 'counter':
      return state.count;
    case 'rate':
      return [state.passes, state.fails];
    case 'gauge':
      return [state.max];
    case 'trend':
      return state.count;
  }
}

describe('load runner: lean NAS path vs nas.login', () => {
  it('the same profile gives the same counts either way, and PAP logins one reply ends went lean', async () => {
    const full = await runOn('full');
    const routed = await runOn('auto');
    expect(full.nasPaths).toEqual({ lean: 0, full: 14, refused: 0 });
    // 5 of the 7 credentials are PAP with no OTP key; each comes twice.
    expect(routed.nasPaths).toEqual({ lean: 10, full: 4, refused: 0 });

    const byName = (outcome: LoadRunOutcome): Record<string, unknown> =>
      Object.fromEntries(metricNames.map((name) => [name, counts(outcome.states[name])]));
    expect(byName(routed)).toEqual(byName(full));
    // What the run holds, so the equality is not between two empty runs.
    const count = (name: (typeof metricNames)[number]) => counts(full.states[name]);
    expect(count('radius_accepts')).toBe(3); // alice x2, bob once (his second code replays the first)
    expect(count('radius_rejects')).toBe(7); // carol, wrong password, grace; x2; bob's replayed code
    expect(count('radius_challenges')).toBe(4); // erin x2 (unanswered), bob x2 (answered)
    expect(count('radius_errors')).toBe(2); // erin's unanswered challenges
    expect(count('radius_timeouts')).toEqual([2, 12]); // judy x2
    // judy's 2 x 2 and nothing else: every Accounting-Request (Start, Interim, Stop after alice's and
    // bob's accepts) is answered at once. Bob's came at a fractional virtual instant (his typing
    // time) and used to be refused by the store, then retransmitted until the NAS gave up.
    expect(count('radius_retransmits')).toBe(4);
    expect(count('iterations')).toBe(14);

    const totals = (outcome: LoadRunOutcome): Record<string, number> =>
      Object.fromEntries(
        SERIES_COUNTS.map((kind) => [kind, outcome.series.reduce((n, row) => n + row[kind], 0)]),
      );
    expect(totals(routed)).toEqual(totals(full));
    expect(routed.interrupted).toBe(full.interrupted);
  });
});
