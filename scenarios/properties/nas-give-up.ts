// Property 4: a login succeeds iff the MFA answer arrives before the NAS's last retry times out,
// whatever the NAS profile. The NAS's give-up time is taken from its own schedule
// (simulators/nas/policy.ts: scheduleBounds, exact for fixed timeouts, a range over the jitter draws
// for RFC 5080 backoff); approvals are generated anywhere up to the tenant's prompt timeout, and
// often a few milliseconds either side of the give-up time.
import fc from 'fast-check';
import type { DuplicateProfileName } from '../../reference/duplicates/profiles.ts';
import {
  nasProfileNames,
  resolveNasPolicy,
  scheduleBounds,
  type NasProfileName,
  type RetryPolicy,
} from '../../simulators/nas/index.ts';
import { caseSeed, policyArbitrary, resolvePolicy, type PolicyDocument } from './arbitraries.ts';
import {
  DEMO_PASSWORD,
  PROPERTY_USERS,
  caseFailures,
  defineProperty,
  loginsRan,
  missingSteps,
  runGenerated,
  type CaseDocument,
  type PropertyContext,
  type Verdict,
} from './harness.ts';

/** Under the demo tenant's 60 s prompt timeout: every push is approved, never timed out. */
const MAX_APPROVAL_MS = 59_000;

export type GiveUpOutcome = 'accept' | 'timeout' | 'either';

/**
 * The oracle: the server answers when the user approves (the long-poll returns then, in virtual time
 * with no network delay), and the NAS gives up once its last wait has run out. An answer strictly
 * before the earliest give-up is an accept; strictly after the latest, a timeout; at the give-up
 * instant, or between the bounds a jittered schedule can land on, either.
 */
export function expectedLoginOutcome(policy: RetryPolicy, answerAfterMs: number): GiveUpOutcome {
  const bounds = scheduleBounds(policy);
  if (answerAfterMs < bounds.minGiveUpMs) return 'accept';
  if (answerAfterMs > bounds.maxGiveUpMs) return 'timeout';
  return 'either';
}

type Nas =
  | { readonly kind: 'profile'; readonly profile: Exclude<NasProfileName, 'custom'> }
  | { readonly kind: 'custom'; readonly policy: PolicyDocument };

function policyOf(nas: Nas): RetryPolicy {
  if (nas.kind === 'custom') return resolvePolicy(nas.policy);
  const resolved = resolveNasPolicy(nas.profile);
  if (!resolved.ok) throw new Error(`unknown NAS profile ${nas.profile}`);
  return resolved.value.policy;
}

const VENDOR_PROFILES = nasProfileNames.filter((n): n is Exclude<NasProfileName, 'custom'> => n !== 'custom');
const DEDUPE_PROFILES: readonly Exclude<DuplicateProfileName, 'none'>[] = ['nps', 'rfc5080', 'duo'];

interface Input {
  readonly seed: number;
  readonly duplicates: Exclude<DuplicateProfileName, 'none'>;
  readonly nas: Nas;
  readonly approvalsMs: readonly number[];
}

const nasArbitrary: fc.Arbitrary<Nas> = fc.oneof(
  fc.constantFrom(...VENDOR_PROFILES).map((profile): Nas => ({ kind: 'profile', profile })),
  policyArbitrary({ lastSendWithinMs: 90_000, retransmission: fc.constant('same') }).map((policy): Nas => ({
    kind: 'custom',
    policy,
  })),
);

/** Anywhere up to the prompt timeout, or within 50 ms of either give-up bound. */
function approvalArbitrary(policy: RetryPolicy): fc.Arbitrary<number> {
  const bounds = scheduleBounds(policy);
  const near = [bounds.minGiveUpMs, bounds.maxGiveUpMs]
    .filter((edge) => edge - 50 <= MAX_APPROVAL_MS)
    .map((edge) => fc.integer({ min: Math.max(0, edge - 50), max: Math.min(MAX_APPROVAL_MS, edge + 50) }));
  return fc.oneof(fc.integer({ min: 0, max: MAX_APPROVAL_MS }), ...near);
}

const arbitrary: fc.Arbitrary<Input> = fc
  .record({ seed: caseSeed, duplicates: fc.constantFrom(...DEDUPE_PROFILES), nas: nasArbitrary })
  .chain((base) =>
    fc
      .array(approvalArbitrary(policyOf(base.nas)), { minLength: 6, maxLength: PROPERTY_USERS.length })
      .map((approvalsMs): Input => ({ ...base, approvalsMs })),
  );

function caseOf(input: Input, policy: RetryPolicy): CaseDocument {
  const tenantUsers: Record<string, unknown> = {};
  const steps = input.approvalsMs.map((after, i) => {
    const user = PROPERTY_USERS[i] ?? '';
    tenantUsers[user] = {
      enrolled: true,
      methods: ['push'],
      behaviour: { prompt: { outcome: 'approve', after } },
    };
    const expected = expectedLoginOutcome(policy, after);
    return {
      kind: 'login',
      user,
      password: DEMO_PASSWORD,
      ...(expected !== 'either' ? { expect: { outcome: expected } } : {}),
    };
  });
  return {
    id: 'nas-give-up',
    title: 'a login succeeds iff the MFA answer comes before the NAS gives up',
    why: 'seed: VPN servers should wait at least 60 s for the NPS extension',
    topology: { server: { duplicates: { profile: input.duplicates } }, tenantUsers },
    nas:
      input.nas.kind === 'profile'
        ? { profile: input.nas.profile }
        : { profile: 'custom', policy: input.nas.policy },
    steps,
  };
}

async function check(input: Input, context: PropertyContext): Promise<Verdict> {
  const policy = policyOf(input.nas);
  const document = caseOf(input, policy);
  const run = await runGenerated(document, input.seed, context, () => undefined);
  const failures = [...caseFailures(run.result), ...missingSteps(run, document)];
  run.ran.forEach(({ result }, i) => {
    // Where the oracle allows either, the login must still end in one of them.
    if (result.outcome !== 'accept' && result.outcome !== 'timeout') {
      failures.push(`steps[${i}]: expected accept or timeout, got ${result.outcome}`);
    }
  });
  return { logins: loginsRan(run.result), failures, show: run.show };
}

export const nasGiveUp = defineProperty<Input>({
  name: 'nas-give-up',
  title:
    "a login succeeds iff the MFA answer arrives before the NAS's last retry times out, whatever the profile",
  why:
    'seed (nps-mfa-extension.txt): "The NPS server may not respond to the VPN server\'s original request before ' +
    'the connection times out ... we recommend that VPN servers are configured with a timeout of at least 60 ' +
    'seconds"; RFC 5080 2.2.1 (the client gives up after MRC transmissions or MRD)',
  loginsPerRun: { min: 6, max: PROPERTY_USERS.length },
  arbitrary,
  check,
});
