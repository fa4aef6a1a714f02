// When a server falls so far behind that every Identifier of every socket the profile allows is
// outstanding, an arrival is an error at once, as nas.login would have made it, without going
// through nas.login. One socket (256 Identifiers) against logins that wait out the NAS's whole
// schedule (push approved after 45 s, the radclient profile gives up after 15 s): 400 arrivals, 256
// sent, 144 refused.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verdictOf } from '../../../bench/max-rate.ts';
import { parseLoadProfile, type LoadProfile } from '../../../scenarios/load/profile.ts';
import { buildLoadResult } from '../../../scenarios/load/result.ts';
import { FULL_PLAN } from '../../../scenarios/load/segments.ts';
import { runInVirtualTime } from '../../support/load-virtual.ts';

let dir: string;
let profile: LoadProfile;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radmfa-no-identifier-'));
  const file = join(dir, 'users.csv');
  await writeFile(file, 'judy,Passw0rd!,pap\n');
  const parsed = parseLoadProfile({
    scenarios: {
      logins: {
        executor: 'constant-arrival-rate',
        rate: 100,
        duration: '4s',
        preAllocatedVUs: 400,
        gracefulStop: '60s',
      },
    },
    users: { source: 'csv', file },
    nas: { profile: 'radclient', maxSockets: 1 },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  profile = parsed.value;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('arrivals with no Identifier left', () => {
  it('are errors at once, on neither NAS path, while the 256 sent time out', async () => {
    // Seen from outside (no prompt observer), so these PAP logins take the lean path.
    const outcome = await runInVirtualTime(profile, ({ observer: _observer, ...unobserved }) => unobserved);
    expect(outcome.nasPaths).toEqual({ lean: 256, full: 0, refused: 144 });
    const counter = (name: 'radius_errors' | 'iterations'): number => {
      const state = outcome.states[name];
      return state.type === 'counter' ? state.count : -1;
    };
    expect(counter('radius_errors')).toBe(144);
    const timeouts = outcome.states.radius_timeouts;
    expect(timeouts.type === 'rate' ? [timeouts.passes, timeouts.fails] : []).toEqual([256, 0]);
    // A max-rate probe counts the refused arrivals as offered: its offered rate is the profile's.
    const result = buildLoadResult(outcome, {
      profile,
      target: { kind: 'embedded-virtual', description: 'embedded, virtual time' },
      users: '1 user from a CSV',
      segment: FULL_PLAN,
    });
    const verdict = verdictOf(100, result, 10, 0);
    expect(verdict.offered).toBe(400);
    expect(verdict.sustained).toBe(false);
  });
});
