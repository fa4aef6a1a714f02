// Generators the properties share: NAS retry policies as suite files write them, network
// impairments, and bounds on when a NAS can still be sending.
import fc from 'fast-check';
import { normaliseRetryPolicy, type RetryPolicy } from '../../simulators/nas/index.ts';

/** A NAS retry policy as a suite case's `nas.policy` writes it (always valid). */
export type PolicyDocument =
  | {
      readonly kind: 'fixed';
      readonly timeoutMs: number;
      readonly retries: number;
      readonly retransmission: 'same' | 'naive';
    }
  | {
      readonly kind: 'backoff';
      readonly irtMs: number;
      readonly mrc: number;
      readonly mrtMs: number;
      readonly mrdMs: number;
      readonly rand: number;
      readonly retransmission: 'same' | 'naive';
    };

export interface PolicyLimits {
  /** The NAS's last transmission may start at most this long after its first. */
  readonly lastSendWithinMs: number;
  readonly retransmission: fc.Arbitrary<'same' | 'naive'>;
}

/**
 * Fixed timeouts and RFC 5080 backoff, with every transmission sent within `lastSendWithinMs` of the
 * first: fixed keeps retries x timeout under it, backoff keeps MRD under it (RFC 3315 14: nothing is
 * sent once MRD has passed).
 */
export function policyArbitrary(limits: PolicyLimits): fc.Arbitrary<PolicyDocument> {
  const within = limits.lastSendWithinMs;
  const fixed = fc
    .record({ retries: fc.integer({ min: 0, max: 5 }), retransmission: limits.retransmission })
    .chain(({ retries, retransmission }) =>
      fc
        .integer({ min: 200, max: Math.min(30_000, Math.floor(within / Math.max(1, retries))) })
        .map((timeoutMs): PolicyDocument => ({ kind: 'fixed', timeoutMs, retries, retransmission })),
    );
  const backoff = fc
    .record({
      irtMs: fc.integer({ min: 200, max: 5_000 }),
      mrc: fc.integer({ min: 0, max: 8 }),
      mrtMs: fc.oneof(fc.constant(0), fc.integer({ min: 1_000, max: 20_000 })),
      mrdMs: fc.integer({ min: 1_000, max: within }),
      // Tenths of a percent: the NAS's jitter factor, 0 to the 0.5 its validator allows.
      randPermille: fc.integer({ min: 0, max: 500 }),
      retransmission: limits.retransmission,
    })
    .map(({ randPermille, ...rest }): PolicyDocument => ({
      kind: 'backoff',
      ...rest,
      rand: randPermille / 1000,
    }));
  return fc.oneof(fixed, backoff);
}

/** The policy the NAS will run, through the same validator `nas.policy` goes through. */
export function resolvePolicy(document: PolicyDocument): RetryPolicy {
  const result = normaliseRetryPolicy(document);
  if (!result.ok) throw new Error(`generated an invalid NAS policy: ${JSON.stringify(result.issues)}`);
  return result.policy;
}

/**
 * Latest start of the NAS's last transmission after its first, over every jitter draw. Each backoff
 * wait is largest with the jitter at +rand and no MRD truncation (RFC 5080 2.2.1: RT grows with RAND
 * and with the previous RT, and truncation only shortens), so summing those waits bounds every draw;
 * MRD bounds it too.
 */
export function lastSendBoundMs(policy: RetryPolicy): number {
  if (policy.kind === 'fixed') return policy.retries * policy.timeoutMs;
  if (policy.mrc === 0) return policy.mrdMs;
  let sum = 0;
  let previous: number | undefined;
  for (let transmission = 1; transmission < policy.mrc; transmission++) {
    let rt = previous === undefined ? policy.irtMs * (1 + policy.rand) : previous * (2 + policy.rand);
    if (policy.mrtMs > 0 && rt > policy.mrtMs) rt = policy.mrtMs * (1 + policy.rand);
    // The NAS rounds each wait to whole milliseconds and doubles the rounded one.
    previous = Math.ceil(rt) + 1;
    sum += previous;
  }
  return policy.mrdMs > 0 ? Math.min(sum, policy.mrdMs) : sum;
}

/** Network impairments as a suite case's `topology.network` writes them. */
export interface NetworkDocument {
  readonly loss: number;
  readonly delay: number;
  readonly jitter: number;
  readonly duplicate: number;
}

/** Loss and duplication up to 30 % and 50 %, one-way delay and jitter up to 500 ms each. */
export const networkArbitrary: fc.Arbitrary<NetworkDocument> = fc.record({
  loss: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 30 }).map((p) => p / 100),
  ),
  delay: fc.integer({ min: 0, max: 500 }),
  jitter: fc.integer({ min: 0, max: 500 }),
  duplicate: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 50 }).map((p) => p / 100),
  ),
});

/** Latest arrival of a datagram after it was sent. */
export function worstDelayMs(network: NetworkDocument): number {
  return network.delay + network.jitter;
}

/** A seed for the case's random choices (NAS jitter, impairments, user models). */
export const caseSeed: fc.Arbitrary<number> = fc.integer({ min: 1, max: 0x7fff_ffff });
