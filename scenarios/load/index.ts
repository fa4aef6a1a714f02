// One load run from profile to result: open the users and the target, run the executors (driving
// the virtual clock when the target runs in virtual time), build the result, clean up.
import { driveUntilSettled } from '../engine/drive.ts';
import type { LoadProfile } from './profile.ts';
import { buildLoadResult, type LoadResult } from './result.ts';
import { runLoad, type ProgressSnapshot } from './runner.ts';
import { FULL_PLAN, type SegmentPlan } from './segments.ts';
import { openLoadTarget, type LoadTargetSpec } from './target.ts';
import { openUserPool } from './users.ts';
import { ValidationError } from '../../runtime/validation/index.ts';

export interface LoadJob {
  readonly profile: LoadProfile;
  readonly target: LoadTargetSpec;
  readonly segment?: SegmentPlan;
  readonly onProgress?: (snapshot: ProgressSnapshot) => void;
  readonly signal?: AbortSignal;
  /** `full` sends every login through nas.login (see runner.ts); default `auto`. */
  readonly nasPath?: 'auto' | 'full';
}

/** A bound on virtual time: the plan's length plus a day, so a broken run still ends. */
const VIRTUAL_SLACK_MS = 24 * 3600_000;

export async function executeLoad(job: LoadJob): Promise<LoadResult> {
  const opened = await openUserPool(job.profile);
  if (!opened.ok) throw new ValidationError('the load profile', opened.issues);
  const pool = opened.pool;
  try {
    const target = await openLoadTarget(job.target, pool, job.profile.seed, job.profile);
    try {
      const segment = job.segment ?? FULL_PLAN;
      const work = runLoad({
        profile: job.profile,
        target,
        pool,
        segment,
        ...(job.onProgress !== undefined ? { onProgress: job.onProgress } : {}),
        ...(job.signal !== undefined ? { signal: job.signal } : {}),
        ...(job.nasPath !== undefined ? { nasPath: job.nasPath } : {}),
      });
      const outcome =
        target.virtualClock !== undefined
          ? await driveUntilSettled(target.virtualClock, work, VIRTUAL_SLACK_MS)
          : await work;
      return buildLoadResult(outcome, {
        profile: job.profile,
        target: target.info,
        users: pool.description,
        segment,
      });
    } finally {
      await target.close();
    }
  } finally {
    await pool.dispose();
  }
}

export * from './executors.ts';
export * from './metrics.ts';
export * from './profile.ts';
export * from './result.ts';
export * from './segments.ts';
export * from './thresholds.ts';
export type { ProgressSnapshot, LoadRunOutcome } from './runner.ts';
export * from './route.ts';
export { OPEN_MODEL_COALESCE_US, receiveCoalescingUs, type LoadTargetSpec } from './target.ts';
