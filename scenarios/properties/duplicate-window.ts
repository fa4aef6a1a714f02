// Property 2: the duplicate window's boundary, end to end through the server, for any timing.
// The window is half-open (reference/duplicates/cache.ts): it opens when the response is sent and a
// copy at response + window - 1 ms is a duplicate, while a copy at + window is a new request (a
// second MFA prompt). Profiles that restart the window on each duplicate (rfc5080, duo) move the
// boundary to the last duplicate + window. Each generated login sends exact copies of its
// Access-Request while MFA is pending, inside the window, and one probe on either side of the
// boundary; the expectations are written into the case as data and the engine judges them.
import fc from 'fast-check';
import { duplicateProfiles, type DuplicateProfileName } from '../../reference/duplicates/profiles.ts';
import { caseSeed } from './arbitraries.ts';
import {
  DEMO_PASSWORD,
  PROPERTY_USERS,
  caseFailures,
  defineProperty,
  missingSteps,
  runGenerated,
  type CaseDocument,
  type PropertyContext,
  type Verdict,
} from './harness.ts';

type Profile = Exclude<DuplicateProfileName, 'none'>;
const PROFILES: readonly Profile[] = ['nps', 'rfc5080', 'duo'];

export type CopyHandling = 'in-flight' | 'duplicate' | 'new';

/**
 * The oracle: what the server does with each exact copy of one request answered at `answeredAt`
 * (copy times on the same clock). Before the answer a copy is discarded as in flight; after it, a
 * copy inside [end - window, end) is a duplicate, where end starts at answeredAt + window and, for a
 * profile that restarts the window on a duplicate, moves to that copy + window; the first copy at or
 * past the end is new. Copies after a new one are not classified (their fate depends on the new run).
 */
export function expectedCopyHandling(
  profile: Profile,
  windowMs: number,
  answeredAt: number,
  copyTimes: readonly number[],
): CopyHandling[] {
  const restarts = duplicateProfiles[profile].extendWindowOnDuplicate;
  let end = answeredAt + windowMs;
  const handled: CopyHandling[] = [];
  for (const at of [...copyTimes].sort((a, b) => a - b)) {
    if (at < answeredAt) {
      handled.push('in-flight');
    } else if (at < end) {
      handled.push('duplicate');
      if (restarts) end = at + windowMs;
    } else {
      handled.push('new');
      break;
    }
  }
  return handled;
}

/** Where the window ends after these duplicates: the first instant a copy is new. */
function windowEnd(
  profile: Profile,
  windowMs: number,
  answeredAt: number,
  inside: readonly number[],
): number {
  const restarts = duplicateProfiles[profile].extendWindowOnDuplicate;
  const last = inside.length > 0 ? Math.max(...inside) : answeredAt;
  return (restarts ? last : answeredAt) + windowMs;
}

interface Login {
  /** The user approves the push this long after it is sent: the server answers then. */
  readonly approveAfterMs: number;
  /** Copies while MFA is pending, in thousandths of the approval delay. */
  readonly inFlightPermille: readonly number[];
  /** Copies after the answer, each this long after the previous one (or after the answer). */
  readonly insideGapsMs: readonly number[];
  /** The last copy at the boundary (new) or 1 ms before it (duplicate). */
  readonly probeAtBoundary: boolean;
}

interface Input {
  readonly seed: number;
  readonly profile: Profile;
  readonly windowMs: number;
  readonly logins: readonly Login[];
}

const arbitrary: fc.Arbitrary<Input> = fc
  .record({
    seed: caseSeed,
    profile: fc.constantFrom(...PROFILES),
  })
  .chain((base) =>
    fc
      .integer({
        min: duplicateProfiles[base.profile].minWindowMs,
        max: Math.min(duplicateProfiles[base.profile].maxWindowMs, 60_000),
      })
      .chain((windowMs) =>
        fc
          .array(
            fc.record({
              approveAfterMs: fc.integer({ min: 0, max: 20_000 }),
              inFlightPermille: fc.array(fc.integer({ min: 1, max: 999 }), { maxLength: 3 }),
              // Below the window, so that with `nps` (no restart) every inside copy stays inside.
              insideGapsMs: fc.array(fc.integer({ min: 1, max: Math.floor((windowMs - 1) / 3) }), {
                maxLength: 3,
              }),
              probeAtBoundary: fc.boolean(),
            }),
            { minLength: 6, maxLength: PROPERTY_USERS.length },
          )
          .map((logins): Input => ({ ...base, windowMs, logins })),
      ),
  );

interface Planned {
  readonly copies: readonly number[];
  readonly handling: readonly CopyHandling[];
}

/** Copy times (ms after the first send, when the answer comes at approveAfterMs) and their fate. */
function plan(input: Input, login: Login): Planned {
  const answeredAt = login.approveAfterMs;
  // In-flight copies need a pending request: none when the answer is immediate.
  const inFlight =
    answeredAt >= 2
      ? login.inFlightPermille.map((p) =>
          Math.min(answeredAt - 1, Math.max(1, Math.floor((p * answeredAt) / 1000))),
        )
      : [];
  const inside: number[] = [];
  let at = answeredAt;
  for (const gap of login.insideGapsMs) {
    at += gap;
    inside.push(at);
  }
  const end = windowEnd(input.profile, input.windowMs, answeredAt, inside);
  const copies = [...inFlight, ...inside, login.probeAtBoundary ? end : end - 1];
  return { copies, handling: expectedCopyHandling(input.profile, input.windowMs, answeredAt, copies) };
}

function caseOf(input: Input): CaseDocument {
  const replays = duplicateProfiles[input.profile].afterResponse === 'replay';
  const tenantUsers: Record<string, unknown> = {};
  const steps: Record<string, unknown>[] = [];
  let prompts = 0;
  let inFlight = 0;
  let duplicates = 0;
  input.logins.forEach((login, i) => {
    const user = PROPERTY_USERS[i] ?? '';
    tenantUsers[user] = {
      enrolled: true,
      methods: ['push'],
      behaviour: { prompt: { outcome: 'approve', after: login.approveAfterMs } },
    };
    const { copies, handling } = plan(input, login);
    const count = (kind: CopyHandling): number => handling.filter((h) => h === kind).length;
    const isNew = count('new') > 0;
    prompts += 1 + count('new');
    inFlight += count('in-flight');
    duplicates += count('duplicate');
    steps.push(
      {
        kind: 'packet',
        id: `login-${i}`,
        attributes: [
          { name: 'User-Name', value: user },
          { name: 'User-Password', value: DEMO_PASSWORD },
        ],
        waitFor: login.approveAfterMs + 1_000,
        expect: { reply: 'Access-Accept' },
      },
      {
        kind: 'retransmit',
        of: `login-${i}`,
        at: copies,
        expect: isNew
          ? { behaviour: 'reprocess' }
          : replays
            ? { behaviour: 'replay', replies: count('duplicate') }
            : { behaviour: 'discard', replies: 0 },
      },
    );
  });
  return {
    id: 'duplicate-window',
    title: 'copies inside the window are duplicates, the first at its end is new',
    why: 'seed: duplicates discarded for up to 10 s after the response; RFC 5080 2.2.2',
    topology: {
      server: { duplicates: { profile: input.profile, windowMs: input.windowMs } },
      tenantUsers,
    },
    steps,
    expect: {
      mfaPrompts: prompts,
      discards: { 'in-flight': inFlight, [replays ? 'replayed' : 'recently-answered']: duplicates },
    },
  };
}

async function check(input: Input, context: PropertyContext): Promise<Verdict> {
  const document = caseOf(input);
  const run = await runGenerated(document, input.seed, context, () => undefined);
  return {
    logins: run.result.steps.filter((step) => step.kind === 'packet').length,
    failures: [...caseFailures(run.result), ...missingSteps(run, document)],
    show: run.show,
  };
}

export const duplicateWindow = defineProperty<Input>({
  name: 'duplicate-window',
  title:
    'the duplicate window ends exactly: a copy at response + window - 1 ms is a duplicate, at + window it is new',
  why:
    'seed (nps-mfa-extension.txt): the extension "continues to filter and discard duplicate requests for up to ' +
    '10 seconds after a successful response"; RFC 5080 2.2.2 (cached responses replayed while the entry lives)',
  loginsPerRun: { min: 6, max: PROPERTY_USERS.length },
  arbitrary,
  check,
});
