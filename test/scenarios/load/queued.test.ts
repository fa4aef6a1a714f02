// A reply read late from a coalescing socket is timed from its arrival: the runner takes the wait the
// transport reports (queuedMs) off the lean path's latencies. The same profile runs in virtual time
// against the embedded server seen from outside, over its network as it is and over one that hands
// every datagram over 30 ms after it arrived and says so: the lean path's radius_access_duration is
// the same; nas.login, which does not read the wait, is 30 ms later per login (the control).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricState } from '../../../scenarios/load/metrics.ts';
import { parseLoadProfile, type LoadProfile } from '../../../scenarios/load/profile.ts';
import { runInVirtualTime } from '../../support/load-virtual.ts';
import { readingLate } from '../../support/reading-late.ts';

const QUEUED_MS = 30;

let dir: string;
let profile: LoadProfile;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radmfa-queued-'));
  const file = join(dir, 'users.csv');
  // Push approved (accept), push denied (reject), wrong password (reject): one reply ends each.
  await writeFile(file, ['alice,Passw0rd!,pap', 'carol,Passw0rd!,pap', 'alice,Wrong,pap'].join('\n'));
  const parsed = parseLoadProfile({
    scenarios: {
      logins: {
        executor: 'constant-arrival-rate',
        rate: 6,
        duration: '2s',
        preAllocatedVUs: 20,
        gracefulStop: '60s',
      },
    },
    users: { source: 'csv', file },
    nas: { profile: 'radclient' },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  profile = parsed.value;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function accessDuration(late: boolean, nasPath: 'auto' | 'full'): Promise<MetricState> {
  // Seen from outside (no prompt observer), so these PAP logins may take the lean path.
  const outcome = await runInVirtualTime(
    profile,
    ({ observer: _observer, ...unobserved }) => {
      const clock = unobserved.virtualClock;
      if (!late || clock === undefined) return unobserved;
      return { ...unobserved, transport: readingLate(unobserved.transport, clock, QUEUED_MS) };
    },
    nasPath,
  );
  expect(outcome.nasPaths?.[nasPath === 'full' ? 'full' : 'lean']).toBe(12);
  return outcome.states.radius_access_duration;
}

describe('replies that waited unread', () => {
  it('are timed from their arrival on the lean path', async () => {
    const onTime = await accessDuration(false, 'auto');
    const late = await accessDuration(true, 'auto');
    expect(late).toEqual(onTime);
  });

  it('(control) make nas.login, which does not read the wait, 30 ms slower per login', async () => {
    const onTime = await accessDuration(false, 'full');
    const late = await accessDuration(true, 'full');
    if (onTime.type !== 'trend' || late.type !== 'trend')
      throw new Error('radius_access_duration is a trend');
    expect(late.count).toBe(onTime.count);
    expect(late.sum - onTime.sum).toBeCloseTo(QUEUED_MS * onTime.count, 6);
  });
});
