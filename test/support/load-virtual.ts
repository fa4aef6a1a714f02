import { driveUntilSettled } from '../../scenarios/engine/drive.ts';
import type { LoadProfile } from '../../scenarios/load/profile.ts';
import { runLoad, type LoadRunOutcome } from '../../scenarios/load/runner.ts';
import { openLoadTarget, type LoadTarget } from '../../scenarios/load/target.ts';
import { openUserPool } from '../../scenarios/load/users.ts';

/**
 * Runs `profile` with the load runner against the embedded server in virtual time. `seenAs` changes
 * what the runner is told about the target (hide the prompt observer, move the accounting port).
 */
export async function runInVirtualTime(
  profile: LoadProfile,
  seenAs: (target: LoadTarget) => LoadTarget = (target) => target,
  nasPath?: 'auto' | 'full',
): Promise<LoadRunOutcome> {
  const opened = await openUserPool(profile);
  if (!opened.ok) throw new Error(JSON.stringify(opened.issues));
  const target = await openLoadTarget({ kind: 'embedded-virtual' }, opened.pool, profile.seed, profile);
  try {
    const clock = target.virtualClock;
    if (clock === undefined) throw new Error('the embedded-virtual target has no virtual clock');
    const work = runLoad({
      profile,
      target: seenAs(target),
      pool: opened.pool,
      ...(nasPath !== undefined ? { nasPath } : {}),
    });
    return await driveUntilSettled(clock, work, 3_600_000);
  } finally {
    await target.close();
    await opened.pool.dispose();
  }
}
