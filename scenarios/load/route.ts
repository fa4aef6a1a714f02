// Which NAS path an iteration's login takes. The lean path (simulators/nas/lean.ts) sends a prepared
// request and verifies its reply with no promise, trace or decode per request; nas.login runs the
// whole conversation. A login goes lean only where the two give the same metrics: one Access-Request
// whose reply ends the login. Everything else stays on nas.login, with the reason in one word.
import type { RetransmissionMode } from '../../simulators/nas/index.ts';
import type { LoginMethod } from '../../simulators/nas/methods/types.ts';

/** Why a login takes nas.login. */
export type FullPathReason =
  /** The run asked for it (`nasPath: 'full'`), e.g. to compare the two. */
  | 'forced'
  /**
   * radmfa's own server: it reports MFA prompts per login (mfa_prompts_per_login, radius_mfa_wait),
   * which the runner attributes to logins in flight on nas.login.
   */
  | 'observed-server'
  /** A secondary server to fail over to: the lean path sends to the first server only. */
  | 'failover'
  /** `naive` retransmission builds a new request per try; the lean path resends the same datagram. */
  | 'naive-retransmission'
  /**
   * Not PAP: CHAP needs a fresh CHAP-Challenge per request and MS-CHAPv2 and EAP check the reply's
   * contents (MS-CHAP2-Success, EAP steps); a request template repeats its bytes.
   */
  | 'method'
  /** The user answers OTP prompts: the login expects an Access-Challenge and a second request. */
  | 'otp-code';

export type NasRoute = { readonly path: 'lean' } | { readonly path: 'full'; readonly reason: FullPathReason };

/** What the run decides once for every login. */
export interface RunRouting {
  readonly nasPath: 'auto' | 'full';
  /** The target reports MFA prompts (radmfa's embedded server). */
  readonly observed: boolean;
  readonly servers: number;
  readonly retransmission: RetransmissionMode;
}

/** The part of a workload entry (a credential from the user pool) that decides its path. */
export interface RoutedEntry {
  readonly method: LoginMethod;
  readonly totpKey?: Buffer;
}

const LEAN: NasRoute = { path: 'lean' };
const full = (reason: FullPathReason): NasRoute => ({ path: 'full', reason });
const FULL_ROUTES: Readonly<Record<FullPathReason, NasRoute>> = {
  forced: full('forced'),
  'observed-server': full('observed-server'),
  failover: full('failover'),
  'naive-retransmission': full('naive-retransmission'),
  method: full('method'),
  'otp-code': full('otp-code'),
};

/** The run-wide reason no login can go lean, if there is one. */
export function runWideReason(run: RunRouting): FullPathReason | undefined {
  if (run.nasPath === 'full') return 'forced';
  if (run.observed) return 'observed-server';
  if (run.servers !== 1) return 'failover';
  if (run.retransmission === 'naive') return 'naive-retransmission';
  return undefined;
}

/**
 * The path of one login. A PAP login of a user with no OTP key gets one reply that ends it
 * (Access-Accept, Access-Reject, or an Access-Challenge nobody can answer: an error on both paths),
 * so the lean path records the same accepts, rejects, timeouts, retransmits and challenges.
 */
export function routeLogin(entry: RoutedEntry, run: RunRouting): NasRoute {
  const runWide = runWideReason(run);
  if (runWide !== undefined) return FULL_ROUTES[runWide];
  if (entry.method !== 'pap') return FULL_ROUTES.method;
  if (entry.totpKey !== undefined) return FULL_ROUTES['otp-code'];
  return LEAN;
}
