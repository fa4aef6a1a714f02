// One MFA authentication as a value, and its status as a pure function of time. A push's outcome is
// drawn when the push is sent, so nothing needs a timer to "happen": the status at any instant is
// computed, and only a long-poll waiting for the next change sets one.

import type { PromptDecision } from '../users/behaviour.ts';
import type { BeginContext, CodeMethod, MfaMethod, SessionResponse, SessionStatus } from './api-types.ts';

export interface PromptProgress {
  readonly decision: PromptDecision;
  /** createdAt + the tenant's prompt timeout: unanswered by then means timed_out. */
  readonly deadline: number;
}

export interface CodeProgress {
  readonly method: CodeMethod;
  /** The code sent by SMS; absent for app and token codes, which are computed from the secret. */
  readonly expected?: string;
  wrongCodes: number;
  acceptedAt?: number;
  lockedAt?: number;
}

export interface MfaSession {
  readonly id: string;
  readonly upn: string;
  readonly method: MfaMethod;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly context?: BeginContext;
  readonly prompt?: PromptProgress;
  readonly code?: CodeProgress;
  /** Long-polls to wake when a code changes the status. */
  readonly waiters: Set<() => void>;
}

const PROMPT_STATUS = { approve: 'approved', deny: 'denied', report_fraud: 'fraud_reported' } as const;

export interface StatusAt {
  readonly status: SessionStatus;
  readonly decidedAt?: number;
}

export function statusAt(session: MfaSession, now: number): StatusAt {
  const { prompt, code } = session;
  if (prompt !== undefined) {
    const { decision, deadline } = prompt;
    if (decision.outcome !== 'ignore') {
      const answeredAt = session.createdAt + decision.afterMs;
      if (answeredAt <= deadline && now >= answeredAt) {
        return { status: PROMPT_STATUS[decision.outcome], decidedAt: answeredAt };
      }
    }
    return now >= deadline ? { status: 'timed_out', decidedAt: deadline } : { status: 'pending' };
  }
  if (code !== undefined) {
    if (code.acceptedAt !== undefined) return { status: 'approved', decidedAt: code.acceptedAt };
    if (code.lockedAt !== undefined) return { status: 'locked_out', decidedAt: code.lockedAt };
  }
  return { status: 'awaiting_code' };
}

/** The next instant the status changes by itself (codes change it by request, not by time). */
export function nextChangeAt(session: MfaSession, now: number): number | undefined {
  const prompt = session.prompt;
  if (prompt === undefined) return undefined;
  const candidates = [prompt.deadline];
  if (prompt.decision.outcome !== 'ignore') candidates.push(session.createdAt + prompt.decision.afterMs);
  const future = candidates.filter((t) => t > now);
  return future.length === 0 ? undefined : Math.min(...future);
}

export function isExpired(session: MfaSession, now: number): boolean {
  return now >= session.expiresAt;
}

export function sessionView(session: MfaSession, now: number): SessionResponse {
  const { status, decidedAt } = statusAt(session, now);
  const final = status !== 'pending' && status !== 'awaiting_code';
  return {
    sessionId: session.id,
    method: session.method,
    status,
    final,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
    ...(decidedAt === undefined ? {} : { decidedAt }),
    wrongCodes: session.code?.wrongCodes ?? 0,
  };
}

export function wake(session: MfaSession): void {
  for (const waiter of [...session.waiters]) waiter();
}
