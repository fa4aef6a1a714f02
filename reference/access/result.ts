// Reply building: what a decided Access-Request turns into, as RADIUS attributes and the reason
// the server publishes. No decisions are made here.
import { eapFailure, splitEapMessage, type MppeKeys } from '../../protocol/auth/index.ts';
import type { AttributeInput } from '../../protocol/index.ts';
import type { EapOutcome } from '../eap/eap-server.ts';
import type { AuthMethod } from '../methods.ts';
import type { AccessReason, Decided, DiscardReason, MfaDetail } from './reasons.ts';

interface Detail {
  readonly userName?: string;
  readonly method?: AuthMethod;
  readonly policy?: string;
  readonly mfa?: MfaDetail;
  /** Human-readable context (an error message); never parsed. */
  readonly detail?: string;
}

export type AccessResult =
  | (Detail & {
      readonly kind: 'accept' | 'reject' | 'challenge';
      readonly reason: AccessReason;
      readonly attributes: readonly AttributeInput[];
    })
  | (Detail & { readonly kind: 'discard'; readonly reason: DiscardReason });

/** Who asked: the parts of the result every answer carries. */
export interface Asker {
  readonly userName?: string | undefined;
  readonly method?: AuthMethod | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * `result` with the asker's and the decision's details set on it, each only when present. Set one
 * by one rather than spread: spreading conditional objects into a result was a tenth of the
 * server's own CPU per login under load.
 */
function withDetail<R extends object>(result: R, asker: Asker, decided: Decided | undefined): R & Detail {
  const out = result as R & Mutable<Detail>;
  if (asker.userName !== undefined) out.userName = asker.userName;
  if (asker.method !== undefined) out.method = asker.method;
  if (decided !== undefined) {
    if (decided.policy !== undefined) out.policy = decided.policy;
    if (decided.mfa !== undefined) out.mfa = decided.mfa;
    if (decided.detail !== undefined) out.detail = decided.detail;
  }
  return out;
}

/** A reject before any decision; answering EAP, it carries EAP-Failure (RFC 3579 2.6.3). */
export function rejectResult(
  reason: AccessReason,
  asker: Asker,
  options: { readonly eapFailureId?: number | undefined; readonly detail?: string } = {},
): AccessResult {
  return withDetail(
    {
      kind: 'reject' as const,
      reason,
      attributes: options.eapFailureId !== undefined ? eapAttributes(eapFailure(options.eapFailureId)) : [],
    },
    asker,
    options.detail !== undefined ? { detail: options.detail } : undefined,
  );
}

export function discardResult(reason: DiscardReason, asker: Asker, detail?: string): AccessResult {
  return withDetail(
    { kind: 'discard' as const, reason },
    asker,
    detail !== undefined ? { detail } : undefined,
  );
}

/** Accept with the policy's reply plus the method's own attributes (MS-CHAP2-Success, MPPE keys). */
export function acceptResult(
  reason: AccessReason,
  asker: Asker,
  decided: Decided,
  reply: readonly AttributeInput[],
  methodAttributes: readonly AttributeInput[],
): AccessResult {
  const attributes =
    methodAttributes.length === 0
      ? reply
      : reply.length === 0
        ? methodAttributes
        : [...reply, ...methodAttributes];
  return withDetail({ kind: 'accept' as const, reason, attributes }, asker, decided);
}

export function decidedRejectResult(
  reason: AccessReason,
  asker: Asker,
  decided: Decided,
  attributes: readonly AttributeInput[] = [],
): AccessResult {
  return withDetail({ kind: 'reject' as const, reason, attributes }, asker, decided);
}

/** A code prompt: Reply-Message + State, the code to come back in User-Password. */
export function codePromptResult(
  reason: AccessReason,
  asker: Asker,
  decided: Decided,
  prompt: string,
  state: Buffer,
): AccessResult {
  return withDetail(
    {
      kind: 'challenge' as const,
      reason,
      attributes: [
        { name: 'Reply-Message', value: prompt },
        { name: 'State', value: state },
      ],
    },
    asker,
    decided,
  );
}

/** One EAP round's answer; `state` names the conversation when it goes on. */
export function eapResult(
  outcome: EapOutcome,
  state: Buffer | undefined,
  userName: string | undefined,
): AccessResult {
  switch (outcome.kind) {
    case 'discard':
      return discardResult(outcome.reason, { userName }, outcome.detail);
    case 'challenge': {
      const decided = outcome.session.stage === 'mschapv2-success-sent' ? outcome.session.decided : undefined;
      return withDetail(
        {
          kind: 'challenge' as const,
          reason: `eap-${outcome.session.stage}` as const,
          attributes: [
            ...eapAttributes(outcome.eap),
            ...(state !== undefined ? [{ name: 'State', value: state }] : []),
          ],
        },
        { userName, method: outcome.method },
        decided,
      );
    }
    case 'reject':
      return decidedRejectResult(
        outcome.reason,
        { userName, method: outcome.method },
        outcome.decided ?? {},
        eapAttributes(outcome.eap),
      );
    case 'accept':
      return acceptResult(
        outcome.reason,
        { userName: userName ?? outcome.user.accountName, method: outcome.method },
        outcome.decided,
        outcome.reply,
        [...eapAttributes(outcome.eap), ...(outcome.keys !== undefined ? mppeAttributes(outcome.keys) : [])],
      );
  }
}

export function eapAttributes(eap: Buffer): AttributeInput[] {
  return splitEapMessage(eap).map((chunk) => ({ name: 'EAP-Message', value: chunk }));
}

export function mppeAttributes(keys: MppeKeys): AttributeInput[] {
  return [
    // Encryption-Allowed / RC4 40 or 128 bit, as FreeRADIUS's mschap module replies.
    { name: 'MS-MPPE-Encryption-Policy', value: 'Encryption-Allowed' },
    { name: 'MS-MPPE-Encryption-Types', value: 6 },
    { name: 'MS-MPPE-Send-Key', value: keys.sendKey },
    { name: 'MS-MPPE-Recv-Key', value: keys.recvKey },
  ];
}
