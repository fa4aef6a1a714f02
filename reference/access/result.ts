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

function detailOf(asker: Asker, decided: Decided | undefined): Detail {
  return {
    ...(asker.userName !== undefined ? { userName: asker.userName } : {}),
    ...(asker.method !== undefined ? { method: asker.method } : {}),
    ...(decided?.policy !== undefined ? { policy: decided.policy } : {}),
    ...(decided?.mfa !== undefined ? { mfa: decided.mfa } : {}),
    ...(decided?.detail !== undefined ? { detail: decided.detail } : {}),
  };
}

/** A reject before any decision; answering EAP, it carries EAP-Failure (RFC 3579 2.6.3). */
export function rejectResult(
  reason: AccessReason,
  asker: Asker,
  options: { readonly eapFailureId?: number | undefined; readonly detail?: string } = {},
): AccessResult {
  return {
    kind: 'reject',
    reason,
    attributes: options.eapFailureId !== undefined ? eapAttributes(eapFailure(options.eapFailureId)) : [],
    ...detailOf(asker, options.detail !== undefined ? { detail: options.detail } : undefined),
  };
}

export function discardResult(reason: DiscardReason, asker: Asker, detail?: string): AccessResult {
  return { kind: 'discard', reason, ...detailOf(asker, detail !== undefined ? { detail } : undefined) };
}

/** Accept with the policy's reply plus the method's own attributes (MS-CHAP2-Success, MPPE keys). */
export function acceptResult(
  reason: AccessReason,
  asker: Asker,
  decided: Decided,
  reply: readonly AttributeInput[],
  methodAttributes: readonly AttributeInput[],
): AccessResult {
  return { kind: 'accept', reason, attributes: [...reply, ...methodAttributes], ...detailOf(asker, decided) };
}

export function decidedRejectResult(
  reason: AccessReason,
  asker: Asker,
  decided: Decided,
  attributes: readonly AttributeInput[] = [],
): AccessResult {
  return { kind: 'reject', reason, attributes, ...detailOf(asker, decided) };
}

/** A code prompt: Reply-Message + State, the code to come back in User-Password. */
export function codePromptResult(
  reason: AccessReason,
  asker: Asker,
  decided: Decided,
  prompt: string,
  state: Buffer,
): AccessResult {
  return {
    kind: 'challenge',
    reason,
    attributes: [
      { name: 'Reply-Message', value: prompt },
      { name: 'State', value: state },
    ],
    ...detailOf(asker, decided),
  };
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
      return {
        kind: 'challenge',
        reason: `eap-${outcome.session.stage}`,
        attributes: [
          ...eapAttributes(outcome.eap),
          ...(state !== undefined ? [{ name: 'State', value: state }] : []),
        ],
        ...detailOf({ userName, method: outcome.method }, decided),
      };
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
