// Virtual time is driven here: the case's promise runs while the VirtualClock jumps to the next timer
// whenever nothing else is pending, so a 60 s NAS timeout or a 45 s MFA push costs microseconds.
import { flushMicrotasks, type VirtualClock } from '../../runtime/clock.ts';

/** Real macrotask turns allowed with no timer pending before a case counts as stuck. */
const IDLE_TURNS = 200;
/** Turns given to work that needs more than one macrotask (msw reading a body) before time moves. */
const SETTLE_TURNS = 3;

export class VirtualTimeExceeded extends Error {
  constructor(readonly boundMs: number) {
    super(`the case did not finish within ${boundMs / 1000} s of virtual time`);
    this.name = 'VirtualTimeExceeded';
  }
}

export class CaseStuck extends Error {
  constructor() {
    super('the case is waiting on nothing: no timer is pending and its work did not finish');
    this.name = 'CaseStuck';
  }
}

/**
 * Runs `work` to completion on `clock`: lets pending continuations run, then advances to the next
 * due timer, until `work` settles. Bounded by `boundMs` of virtual time, so a broken case ends.
 */
export async function driveUntilSettled<T>(
  clock: VirtualClock,
  work: Promise<T>,
  boundMs: number,
): Promise<T> {
  let settled = false;
  const watched = work.finally(() => {
    settled = true;
  });
  // Observed here so that a rejection is never unhandled while the loop runs.
  watched.catch(() => undefined);
  const stopAt = clock.now() + boundMs;
  let idle = 0;
  while (!settled) {
    for (let turn = 0; turn < SETTLE_TURNS && !settled; turn++) await flushMicrotasks();
    if (settled) break;
    const due = clock.nextDueAt();
    if (due === undefined) {
      if (++idle > IDLE_TURNS) throw new CaseStuck();
      continue;
    }
    idle = 0;
    if (due > stopAt) throw new VirtualTimeExceeded(boundMs);
    await clock.advanceTo(due);
  }
  return watched;
}
