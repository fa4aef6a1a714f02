// Runs a validation session in virtual time: the clock jumps from timer to timer until it ends.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock, flushMicrotasks } from '../../../runtime/clock.ts';
import { MemoryNetwork } from '../../../runtime/memory-transport.ts';
import { parseSteps } from '../../../scenarios/nas-validation/steps.ts';
import { runValidationSession, type SessionOutput } from '../../../scenarios/nas-validation/session.ts';
import { VIRTUAL_START_MS } from '../../../scenarios/embedded/stacks.ts';

export const SECRET = 'lab-secret';

export async function runVirtual(
  steps: unknown,
  options: { secondary?: boolean; limitMs?: number } = {},
): Promise<SessionOutput> {
  const parsed = parseSteps(steps);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const clock = new VirtualClock(VIRTUAL_START_MS);
  const network = new MemoryNetwork(clock);
  let done = false;
  const session = runValidationSession({
    settings: {
      host: '127.0.0.1',
      authPort: 1812,
      acctPort: 1813,
      ...(options.secondary === true ? { secondaryPort: 1912 } : {}),
      secret: SECRET,
      password: 'Passw0rd!',
      workDir: mkdtempSync(join(tmpdir(), 'radmfa-vn-')),
    },
    clock,
    transport: network,
    steps: parsed.file,
  }).finally(() => {
    done = true;
  });
  const limit = VIRTUAL_START_MS + (options.limitMs ?? 3_600_000);
  // Real work (certificate generation, msw handlers) happens between timers: give it turns.
  while (!done) {
    await flushMicrotasks();
    await new Promise((resolve) => setImmediate(resolve));
    const next = clock.nextDueAt();
    if (done) break;
    if (next !== undefined && next <= limit) await clock.advanceTo(next);
  }
  return session;
}
