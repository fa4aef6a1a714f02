// How long the NAS waits for a reply, how often it retransmits, how it retransmits and when it moves
// on to the next server: plain data, validated in one place, able to say what it does in words.
// The timing itself is a replaceable function (TimeoutDecider), as undici's retry handler takes a
// `retry` callback: the policy is its input, not a code path.
import type { Issue } from '../../runtime/validation/index.ts';

/**
 * `same`: a retransmission is the same datagram: same Identifier, same Request Authenticator, same
 * bytes (RFC 5080 2.2.1), so a server can recognise it as a duplicate. `naive`: every retransmission
 * is built anew, with a new Identifier and Request Authenticator, as some NASes do; to a server it
 * is a new request (and, behind an MFA extension, possibly a second prompt).
 */
export type RetransmissionMode = 'same' | 'naive';
export const retransmissionModes: readonly RetransmissionMode[] = ['same', 'naive'];

export type PolicyKind = 'fixed' | 'backoff';
export const policyKinds: readonly PolicyKind[] = ['fixed', 'backoff'];

interface PolicyCommon {
  readonly retransmission: RetransmissionMode;
  /**
   * Consecutive timeouts on one server, within one request, after which the request moves to the
   * next server in the list. Undefined: only once the server's schedule is exhausted.
   */
  readonly failoverAfterTimeouts?: number;
  /** After a failover, later requests start with the server that answered (true) or the primary (false). */
  readonly stickyFailover: boolean;
}

/** Wait `timeoutMs` after each transmission; `retries` retransmissions after the first (per server). */
export interface FixedPolicy extends PolicyCommon {
  readonly kind: 'fixed';
  readonly timeoutMs: number;
  readonly retries: number;
}

/**
 * RFC 5080 2.2.1 (the RFC 3315 14 algorithm): RT = IRT + RAND*IRT for the first transmission, then
 * RT = 2*RTprev + RAND*RTprev, capped at MRT + RAND*MRT; at most MRC transmissions (0: no limit)
 * and no more than MRD after the first one (0: no limit). RAND is uniform in [-rand, +rand].
 */
export interface BackoffPolicy extends PolicyCommon {
  readonly kind: 'backoff';
  readonly irtMs: number;
  readonly mrc: number;
  readonly mrtMs: number;
  readonly mrdMs: number;
  readonly rand: number;
}

export type RetryPolicy = FixedPolicy | BackoffPolicy;

/** What a user may write: every field optional, strings where a typo must be reportable. */
export interface RetryPolicyInput {
  readonly kind?: string;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly irtMs?: number;
  readonly mrc?: number;
  readonly mrtMs?: number;
  readonly mrdMs?: number;
  readonly rand?: number;
  readonly retransmission?: string;
  readonly failoverAfterTimeouts?: number;
  readonly stickyFailover?: boolean;
}

/** RFC 5080 2.2.1 recommended client values (IRT 2 s, MRC 5, MRT 16 s, MRD 30 s, RAND 0.1). */
export const RFC5080_RECOMMENDED = { irtMs: 2_000, mrc: 5, mrtMs: 16_000, mrdMs: 30_000, rand: 0.1 } as const;

export const retryPolicyDefaults = {
  fixed: { timeoutMs: 5_000, retries: 2 },
  backoff: RFC5080_RECOMMENDED,
  retransmission: 'same' as RetransmissionMode,
  stickyFailover: true,
} as const;

/** Hard bound on transmissions to one server within one request, whatever the policy says. */
export const MAX_TRANSMISSIONS_PER_SERVER = 1_000;

const LIMITS = {
  timeoutMs: [1, 3_600_000],
  retries: [0, 100],
  irtMs: [1, 3_600_000],
  mrc: [0, MAX_TRANSMISSIONS_PER_SERVER],
  mrtMs: [0, 3_600_000],
  mrdMs: [0, 86_400_000],
  failoverAfterTimeouts: [1, MAX_TRANSMISSIONS_PER_SERVER],
} as const;
/** Above 0.5 a jittered RT could shrink towards zero and retransmit in a burst. */
const MAX_RAND = 0.5;

const FIXED_ONLY = ['timeoutMs', 'retries'] as const;
const BACKOFF_ONLY = ['irtMs', 'mrc', 'mrtMs', 'mrdMs', 'rand'] as const;

export type RetryPolicyResult =
  | { readonly ok: true; readonly policy: RetryPolicy }
  | { readonly ok: false; readonly issues: readonly Issue[] };

function isIntegerIn(value: unknown, [min, max]: readonly [number, number]): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

/**
 * Validates `input` over `base` (a vendor profile's policy, or the defaults) and fills the rest.
 * Every problem is reported, each with its field and the fix.
 */
export function normaliseRetryPolicy(
  input: RetryPolicyInput = {},
  base?: RetryPolicy,
  fieldPrefix = 'policy.',
): RetryPolicyResult {
  const issues: Issue[] = [];
  const field = (name: string): string => `${fieldPrefix}${name}`;
  const kindText = input.kind ?? base?.kind ?? 'fixed';
  if (!(policyKinds as readonly string[]).includes(kindText)) {
    issues.push({
      path: field('kind'),
      message: `unknown policy kind ${JSON.stringify(kindText)}`,
      fix: `use one of ${policyKinds.join(', ')}`,
    });
  }
  const kind: PolicyKind = kindText === 'backoff' ? 'backoff' : 'fixed';
  const sameKindBase = base?.kind === kind ? base : undefined;

  const integer = (
    name: keyof typeof LIMITS,
    value: number | undefined,
    fallback: number,
    hint: string,
  ): number => {
    if (value === undefined) return fallback;
    const range = LIMITS[name];
    if (!isIntegerIn(value, range)) {
      issues.push({
        path: field(name),
        message: `${String(value)} is out of range`,
        fix: `set a whole number from ${range[0]} to ${range[1]}${hint}`,
      });
      return fallback;
    }
    return value;
  };

  const notApplicable = kind === 'fixed' ? BACKOFF_ONLY : FIXED_ONLY;
  for (const name of notApplicable) {
    if (input[name] !== undefined) {
      issues.push({
        path: field(name),
        message: `${name} does not apply to a ${kind} policy`,
        fix: `remove it, or set kind to ${kind === 'fixed' ? 'backoff' : 'fixed'}`,
      });
    }
  }

  const retransmissionText =
    input.retransmission ?? base?.retransmission ?? retryPolicyDefaults.retransmission;
  if (!(retransmissionModes as readonly string[]).includes(retransmissionText)) {
    issues.push({
      path: field('retransmission'),
      message: `unknown retransmission mode ${JSON.stringify(retransmissionText)}`,
      fix: 'use same (RFC 5080: same Identifier and authenticator) or naive (a new request per retry)',
    });
  }
  const retransmission: RetransmissionMode = retransmissionText === 'naive' ? 'naive' : 'same';
  const failoverAfterTimeouts =
    input.failoverAfterTimeouts === undefined
      ? base?.failoverAfterTimeouts
      : integer(
          'failoverAfterTimeouts',
          input.failoverAfterTimeouts,
          1,
          ' (consecutive timeouts before the next server)',
        );
  const stickyFailover = input.stickyFailover ?? base?.stickyFailover ?? retryPolicyDefaults.stickyFailover;
  const common = {
    retransmission,
    stickyFailover,
    ...(failoverAfterTimeouts !== undefined ? { failoverAfterTimeouts } : {}),
  };

  let policy: RetryPolicy;
  if (kind === 'fixed') {
    const defaults = sameKindBase?.kind === 'fixed' ? sameKindBase : retryPolicyDefaults.fixed;
    policy = {
      kind,
      timeoutMs: integer(
        'timeoutMs',
        input.timeoutMs,
        defaults.timeoutMs,
        ' (wait for a reply, per transmission)',
      ),
      retries: integer('retries', input.retries, defaults.retries, ' (retransmissions after the first send)'),
      ...common,
    };
  } else {
    const defaults = sameKindBase?.kind === 'backoff' ? sameKindBase : retryPolicyDefaults.backoff;
    const rand = input.rand ?? defaults.rand;
    if (typeof rand !== 'number' || !Number.isFinite(rand) || rand < 0 || rand > MAX_RAND) {
      issues.push({
        path: field('rand'),
        message: `${String(rand)} is not a usable jitter factor`,
        fix: `set a number from 0 to ${MAX_RAND} (RFC 5080 recommends 0.1)`,
      });
    }
    policy = {
      kind,
      irtMs: integer('irtMs', input.irtMs, defaults.irtMs, ' (RFC 5080 IRT, 2000 recommended)'),
      mrc: integer('mrc', input.mrc, defaults.mrc, ' (RFC 5080 MRC, 0 for no limit, 5 recommended)'),
      mrtMs: integer(
        'mrtMs',
        input.mrtMs,
        defaults.mrtMs,
        ' (RFC 5080 MRT, 0 for no cap, 16000 recommended)',
      ),
      mrdMs: integer(
        'mrdMs',
        input.mrdMs,
        defaults.mrdMs,
        ' (RFC 5080 MRD, 0 for no limit, 30000 recommended)',
      ),
      rand: typeof rand === 'number' && rand >= 0 && rand <= MAX_RAND ? rand : RFC5080_RECOMMENDED.rand,
      ...common,
    };
    if (policy.mrc === 0 && policy.mrdMs === 0) {
      issues.push({
        path: field('mrc'),
        message: 'MRC and MRD are both 0, so the NAS would retransmit for ever',
        fix: 'set mrc (transmissions) or mrdMs (duration) above 0',
      });
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, policy };
}

/** Where a server's schedule stands when the next transmission is due. */
export interface ScheduleState {
  /** 1-based number of the transmission about to be sent to this server. */
  readonly transmission: number;
  /** The wait used after the previous transmission; undefined before the first. */
  readonly previousTimeoutMs: number | undefined;
  /** Time since the first transmission to this server. */
  readonly elapsedMs: number;
}

/**
 * How long to wait for a reply after the transmission `state` describes, or undefined to send
 * nothing more to this server. `random` is uniform in [0, 1) and seeded, for reproducible jitter.
 */
export type TimeoutDecider = (
  policy: RetryPolicy,
  state: ScheduleState,
  random: () => number,
) => number | undefined;

export const defaultTimeoutDecider: TimeoutDecider = (policy, state, random) => {
  if (state.transmission > MAX_TRANSMISSIONS_PER_SERVER) return undefined;
  if (policy.kind === 'fixed') return state.transmission <= policy.retries + 1 ? policy.timeoutMs : undefined;
  if (policy.mrc > 0 && state.transmission > policy.mrc) return undefined;
  if (policy.mrdMs > 0 && state.elapsedMs >= policy.mrdMs) return undefined;
  const jitter = (2 * random() - 1) * policy.rand;
  const previous = state.previousTimeoutMs;
  let rt = previous === undefined ? policy.irtMs + jitter * policy.irtMs : 2 * previous + jitter * previous;
  if (policy.mrtMs > 0 && rt > policy.mrtMs) rt = policy.mrtMs + jitter * policy.mrtMs;
  // RFC 3315 14: the exchange fails once MRD has passed since the first transmission.
  if (policy.mrdMs > 0) rt = Math.min(rt, policy.mrdMs - state.elapsedMs);
  return Math.max(1, Math.round(rt));
};

/** The waits after each transmission to one server, as the decider would choose them. */
export function planSchedule(
  policy: RetryPolicy,
  random: () => number,
  decide: TimeoutDecider = defaultTimeoutDecider,
): number[] {
  const waits: number[] = [];
  let elapsed = 0;
  for (let transmission = 1; transmission <= MAX_TRANSMISSIONS_PER_SERVER; transmission++) {
    const wait = decide(
      policy,
      { transmission, previousTimeoutMs: waits.at(-1), elapsedMs: elapsed },
      random,
    );
    if (wait === undefined) break;
    waits.push(wait);
    elapsed += wait;
  }
  return waits;
}

export interface ScheduleBounds {
  readonly minTransmissions: number;
  readonly maxTransmissions: number;
  /** Shortest and longest time from the first transmission to giving up on one server. */
  readonly minGiveUpMs: number;
  readonly maxGiveUpMs: number;
}

/** Bounds of the default schedule on one server over every jitter draw (exact for `fixed`). */
export function scheduleBounds(policy: RetryPolicy): ScheduleBounds {
  // With the jitter at either extreme every RT is at its smallest or largest, and the total
  // (a sum, truncated at MRD) is monotonic in each RT.
  const low = planSchedule(policy, () => 0);
  const high = planSchedule(policy, () => 1);
  const sum = (waits: number[]): number => waits.reduce((a, b) => a + b, 0);
  return {
    minTransmissions: Math.min(low.length, high.length),
    maxTransmissions: Math.max(low.length, high.length),
    minGiveUpMs: Math.min(sum(low), sum(high)),
    maxGiveUpMs: Math.max(sum(low), sum(high)),
  };
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** One paragraph for reports and `--describe` output. */
export function describeRetryPolicy(policy: RetryPolicy): string {
  const bounds = scheduleBounds(policy);
  const parts: string[] = [];
  if (policy.kind === 'fixed') {
    parts.push(
      `waits ${seconds(policy.timeoutMs)} after each of ${policy.retries + 1} transmission(s) to a server ` +
        `(${policy.retries} retransmission(s)), giving up on it after ${seconds(bounds.maxGiveUpMs)}`,
    );
  } else {
    const limits = [
      policy.mrc > 0 ? `at most ${policy.mrc} transmissions` : 'no transmission limit',
      policy.mrdMs > 0 ? `at most ${seconds(policy.mrdMs)} in all` : 'no duration limit',
    ].join(', ');
    parts.push(
      `backs off as RFC 5080 2.2.1: first wait ${seconds(policy.irtMs)}, doubling, ` +
        `${policy.mrtMs > 0 ? `capped at ${seconds(policy.mrtMs)}` : 'uncapped'}, jitter ±${policy.rand * 100}%, ${limits}; ` +
        `gives up on a server after ${seconds(bounds.minGiveUpMs)} to ${seconds(bounds.maxGiveUpMs)}`,
    );
  }
  parts.push(
    policy.retransmission === 'same'
      ? 'retransmissions repeat the same datagram (same Identifier and Request Authenticator, RFC 5080 2.2.1)'
      : 'every retransmission is a new request (new Identifier and Request Authenticator)',
  );
  parts.push(
    policy.failoverAfterTimeouts === undefined || policy.failoverAfterTimeouts >= bounds.maxTransmissions
      ? 'it moves to the next server once a server has used its whole schedule'
      : `it moves to the next server after ${policy.failoverAfterTimeouts} consecutive timeout(s)`,
  );
  parts.push(
    policy.stickyFailover
      ? 'later requests start with the server that last answered'
      : 'every request starts with the primary server',
  );
  return `${parts.join('; ')}.`;
}
