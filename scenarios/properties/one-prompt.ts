// Property 1: one MFA prompt per login, whatever the NAS's retransmission schedule and whatever the
// network does to the datagrams, under each duplicate-detection profile that claims it.
//
// The promise has an edge the seed states itself: duplicates are filtered while the MFA request is
// pending and "for up to 10 seconds after a successful response". A copy that reaches the server
// after the window is a new request (property 2 checks that edge). So the generator keeps every copy
// inside the promise: the NAS's last transmission, plus the worst network delay, comes before the
// earliest the window could close (the answer comes no sooner than the user's approval delay after
// the first send). Within that, the schedule (fixed or RFC 5080 backoff, any timeouts and retries),
// loss, delay, jitter, duplication and overlapping logins are all free.
import fc from 'fast-check';
import { duplicateProfiles, type DuplicateProfileName } from '../../reference/duplicates/profiles.ts';
import {
  caseSeed,
  lastSendBoundMs,
  networkArbitrary,
  policyArbitrary,
  resolvePolicy,
  worstDelayMs,
  type NetworkDocument,
  type PolicyDocument,
} from './arbitraries.ts';
import {
  DEMO_PASSWORD,
  PROPERTY_USERS,
  caseFailures,
  defineProperty,
  loginsRan,
  missingSteps,
  promptsByUser,
  runGenerated,
  type CaseDocument,
  type PropertyContext,
  type Verdict,
} from './harness.ts';

/** The NAS sends nothing later than this after its first transmission (fits any profile's window). */
const LAST_SEND_WITHIN_MS = 50_000;
/** Approvals stay under the demo tenant's 60 s prompt timeout, so every prompt gets an answer. */
const MAX_APPROVAL_MS = 55_000;
/** Slack between the last copy's latest arrival and the window's earliest close. */
const MARGIN_MS = 10;

type Profile = Exclude<DuplicateProfileName, 'none'>;
const PROFILES: readonly Profile[] = ['nps', 'rfc5080', 'duo'];

interface Login {
  readonly approveAfterMs: number;
  readonly outcome: 'approve' | 'deny';
  /** Starts this long after the previous login started, without waiting for it (absent: after it ends). */
  readonly concurrentAfterMs: number | undefined;
}

interface Input {
  readonly seed: number;
  readonly profile: Profile;
  readonly windowMs: number;
  readonly network: NetworkDocument;
  readonly policy: PolicyDocument;
  readonly logins: readonly Login[];
}

/** Shortest approval that keeps every copy of the request inside the duplicate window. */
export function minimumApprovalMs(
  policy: PolicyDocument,
  network: NetworkDocument,
  windowMs: number,
): number {
  return Math.max(0, lastSendBoundMs(resolvePolicy(policy)) + worstDelayMs(network) + MARGIN_MS - windowMs);
}

const windowFor = (profile: Profile): fc.Arbitrary<number> =>
  fc.integer({
    min: duplicateProfiles[profile].minWindowMs,
    max: Math.min(duplicateProfiles[profile].maxWindowMs, 60_000),
  });

const arbitrary: fc.Arbitrary<Input> = fc
  .record({
    seed: caseSeed,
    profile: fc.constantFrom(...PROFILES),
    network: networkArbitrary,
    policy: policyArbitrary({ lastSendWithinMs: LAST_SEND_WITHIN_MS, retransmission: fc.constant('same') }),
  })
  .chain((base) =>
    windowFor(base.profile).chain((windowMs) => {
      const least = minimumApprovalMs(base.policy, base.network, windowMs);
      const login: fc.Arbitrary<Login> = fc.record({
        approveAfterMs: fc.integer({ min: least, max: Math.max(least, MAX_APPROVAL_MS) }),
        outcome: fc.constantFrom('approve' as const, 'deny' as const),
        concurrentAfterMs: fc.option(fc.integer({ min: 0, max: 5_000 }), { nil: undefined }),
      });
      return fc
        .array(login, { minLength: 6, maxLength: PROPERTY_USERS.length })
        .map((logins): Input => ({ ...base, windowMs, logins }));
    }),
  );

function caseOf(input: Input): CaseDocument {
  const tenantUsers: Record<string, unknown> = {};
  input.logins.forEach((login, i) => {
    tenantUsers[PROPERTY_USERS[i] ?? ''] = {
      enrolled: true,
      methods: ['push'],
      behaviour: { prompt: { outcome: login.outcome, after: login.approveAfterMs } },
    };
  });
  return {
    id: 'one-prompt-per-login',
    title: 'every login gets exactly one MFA prompt',
    why: 'seed: duplicate requests are discarded while MFA is pending and for the window after the response',
    topology: {
      server: { duplicates: { profile: input.profile, windowMs: input.windowMs } },
      tenantUsers,
      network: input.network,
    },
    nas: { profile: 'custom', policy: input.policy },
    steps: input.logins.map((login, i) => ({
      kind: 'login',
      user: PROPERTY_USERS[i],
      password: DEMO_PASSWORD,
      ...(login.concurrentAfterMs !== undefined ? { concurrentAfter: login.concurrentAfterMs } : {}),
    })),
  };
}

async function check(input: Input, context: PropertyContext): Promise<Verdict> {
  const document = caseOf(input);
  const run = await runGenerated(document, input.seed, context, promptsByUser);
  const failures = [...caseFailures(run.result), ...missingSteps(run, document)];
  run.ran.forEach(({ result }, i) => {
    const user = PROPERTY_USERS[i] ?? '';
    const prompts = run.observed.get(user) ?? 0;
    const answered = result.outcome === 'accept' || result.outcome === 'reject';
    if (prompts > 1 || (answered && prompts !== 1)) {
      failures.push(
        `steps[${i}] (${user}): ${prompts} MFA prompts for one login ` +
          `(${result.outcome} after ${result.transmissions ?? 0} transmissions)`,
      );
    } else if (result.outcome === 'error') {
      failures.push(`steps[${i}] (${user}): the login ended in error`);
    }
  });
  return { logins: loginsRan(run.result), failures, show: run.show };
}

export const onePromptPerLogin = defineProperty<Input>({
  name: 'one-prompt-per-login',
  title:
    'one MFA prompt per login for any retransmission schedule and network impairment (nps, rfc5080, duo)',
  why:
    'seed (nps-mfa-extension.txt): "the NPS server identifies additional VPN server requests as a duplicate ' +
    'request [and] discards" them, and keeps discarding "for up to 10 seconds after a successful response"; ' +
    'RFC 5080 2.2.2 (a retransmission is answered from the cache, not processed again)',
  loginsPerRun: { min: 6, max: PROPERTY_USERS.length },
  arbitrary,
  check,
});
