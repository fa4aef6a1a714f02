// Admission control: how much work the server holds at once. A NAS that sends faster than the
// directory and the MFA service can answer must not make the server queue without bound (memory
// grows, every answer comes too late to matter); RADIUS lets a busy server stay silent, and the NAS
// retransmits or fails over (RFC 2865 2.4; RFC 5080 2.2.1). So work beyond the bound is dropped
// before it costs anything, and counted.
//
// Two bounds, because the two kinds of work differ by three orders of magnitude in duration: a
// request being worked on (decode, directory, policy, accounting) takes milliseconds, a login waiting
// for a user's phone takes seconds to a minute. Logins waiting on MFA move from the first bound to the
// second while they wait, so a morning burst of pushes cannot starve quick requests (accounting,
// logins that need no MFA), and quick requests cannot starve the MFA waits.
import type { MfaCodeSession, MfaContext, MfaDecision, SecondFactor } from './mfa/second-factor.ts';

export interface AdmissionLimits {
  /** Requests being worked on at once, not counting logins waiting on the MFA service. */
  readonly maxInFlight: number;
  /** Logins waiting on the MFA service (push, phone call, code check) at once. */
  readonly maxPendingMfa: number;
}

/**
 * Defaults sized from what one process serves here: ~2,000 requests/s with a few ms each keeps a few
 * dozen in flight, so 1,024 only binds under overload; 10,000 pending logins is the bench/pending
 * scenario (a few KB each).
 */
export const ADMISSION_DEFAULTS: AdmissionLimits = { maxInFlight: 1_024, maxPendingMfa: 10_000 };

export interface AdmissionStats {
  readonly working: number;
  readonly pendingMfa: number;
  /** Requests refused at the door since start (dropped as `overload`). */
  readonly refused: number;
  /** Logins refused an MFA wait since start (dropped as `mfa-overload`). */
  readonly refusedMfa: number;
}

export class Admission {
  private working = 0;
  private pendingMfa = 0;
  private refused = 0;
  private refusedMfa = 0;

  constructor(readonly limits: AdmissionLimits = ADMISSION_DEFAULTS) {}

  /** A new request may be worked on; false means drop it now. Pair every true with finish(). */
  tryStart(): boolean {
    if (this.working >= this.limits.maxInFlight) {
      this.refused++;
      return false;
    }
    this.working++;
    return true;
  }

  finish(): void {
    this.working--;
  }

  /**
   * A request starts waiting on the MFA service: it leaves the in-flight bound for the MFA bound.
   * False (and no change) when the MFA bound is full.
   */
  tryEnterMfa(): boolean {
    if (this.pendingMfa >= this.limits.maxPendingMfa) {
      this.refusedMfa++;
      return false;
    }
    this.pendingMfa++;
    this.working--;
    return true;
  }

  /**
   * The MFA answer is in: the request is worked on again until its reply is sent. It may take the
   * in-flight count past its bound for a moment: work already accepted is finished, never dropped.
   */
  leaveMfa(): void {
    this.pendingMfa--;
    this.working++;
  }

  get stats(): AdmissionStats {
    return {
      working: this.working,
      pendingMfa: this.pendingMfa,
      refused: this.refused,
      refusedMfa: this.refusedMfa,
    };
  }
}

/**
 * The second factor with its waits counted against the MFA bound. A login that finds the bound full
 * gets no answer (a discard), so the NAS retransmits later instead of the user being refused.
 */
export function admittedSecondFactor(inner: SecondFactor, admission: Admission): SecondFactor {
  // Not an async wrapper: a login waiting on a push would hold its suspended frame for the whole
  // wait. The call starts now; the one reaction on its promise leaves the bound.
  const leave = (decision: MfaDecision): MfaDecision => {
    admission.leaveMfa();
    return decision;
  };
  const leaveFailed = (error: unknown): never => {
    admission.leaveMfa();
    throw error;
  };
  const admitted = (start: () => Promise<MfaDecision>): Promise<MfaDecision> => {
    if (!admission.tryEnterMfa()) return Promise.resolve({ kind: 'discard', reason: 'mfa-overload' });
    let decision: Promise<MfaDecision>;
    try {
      decision = start();
    } catch (error) {
      return Promise.reject(leaveFailedNow(admission, error));
    }
    return decision.then(leave, leaveFailed);
  };
  return {
    verify: (context: MfaContext) => admitted(() => inner.verify(context)),
    submitCode: (context: MfaContext, session: MfaCodeSession, code: string) =>
      admitted(() => inner.submitCode(context, session, code)),
    close: () => inner.close?.(),
  };
}

/** A call that threw before it returned its promise: out of the bound, and the error as a rejection. */
function leaveFailedNow(admission: Admission, error: unknown): Error {
  admission.leaveMfa();
  return error instanceof Error ? error : new Error(String(error));
}
