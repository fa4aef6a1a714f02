// What happens once the password is proven: the network policy, then the second factor. Returns a
// Completion; opening a State for a code prompt is the dispatcher's job, not this module's.
import { attributeValue, type AttributeInput } from '../../protocol/index.ts';
import type { ServerConfig } from '../config/server-config.ts';
import type { MaybePromise } from '../maybe-async.ts';
import type { DirectoryUser } from '../directory/types.ts';
import type { AuthMethod } from '../methods.ts';
import type { MfaCodeSession, MfaContext, MfaDecision, SecondFactor } from '../mfa/second-factor.ts';
import { evaluatePolicy } from './policy.ts';
import type { AccessRequest } from './request.ts';
import type { AccessReason, Decided, DiscardReason, MfaDetail } from './reasons.ts';

export interface SecondStepDeps {
  readonly config: ServerConfig;
  readonly secondFactor?: SecondFactor;
}

/** A code prompt to keep while the user types: what the next Access-Request will be checked against. */
export interface CodePrompt {
  readonly session: MfaCodeSession;
  readonly context: MfaContext;
  readonly reply: readonly AttributeInput[];
  readonly policy?: string;
}

export type Completion =
  | {
      readonly kind: 'accept';
      readonly reason: AccessReason;
      readonly reply: readonly AttributeInput[];
      readonly decided: Decided;
    }
  | { readonly kind: 'reject'; readonly reason: AccessReason; readonly decided: Decided }
  | {
      readonly kind: 'challenge';
      readonly prompt: string;
      readonly code: CodePrompt;
      readonly decided: Decided;
    }
  | { readonly kind: 'discard'; readonly reason: DiscardReason; readonly detail?: string };

/** What a login decided under no policy rule: read only, so every such login shares it. */
const NO_RULE: Decided = {};

/** Network policy, then the second factor (the only step here that may wait). */
export function afterPrimary(
  deps: SecondStepDeps,
  request: AccessRequest,
  user: DirectoryUser,
  method: AuthMethod,
): MaybePromise<Completion> {
  const nasPortType = attributeValue(request.attributes, 'NAS-Port-Type');
  // One facts object of one shape (no spread): built for every login.
  const decision = evaluatePolicy(deps.config.policy, {
    client: request.client.name,
    groups: user.groups,
    method,
    nasPortType: typeof nasPortType === 'number' ? nasPortType : undefined,
  });
  const policy = decision.rule !== undefined ? { policy: decision.rule } : NO_RULE;
  if (decision.kind === 'deny') return { kind: 'reject', reason: 'policy-denied', decided: policy };
  const factor = deps.secondFactor;
  if (!deps.config.mfa.enabled || factor === undefined)
    return { kind: 'accept', reason: 'primary-ok', reply: decision.reply, decided: policy };
  const context = mfaContext(request, user, method);
  return factor.verify(context).then((mfa) => completionOf(mfa, context, decision.reply, decision.rule));
}

function mfaContext(request: AccessRequest, user: DirectoryUser, method: AuthMethod): MfaContext {
  // A NAS on IPv6 identifies itself with NAS-IPv6-Address (RFC 3162) instead.
  const nasIp =
    attributeValue(request.attributes, 'NAS-IP-Address') ??
    attributeValue(request.attributes, 'NAS-IPv6-Address');
  const calling = attributeValue(request.attributes, 'Calling-Station-Id');
  return {
    user,
    method,
    client: request.client.name,
    ...(typeof nasIp === 'string' ? { nasIpAddress: nasIp } : {}),
    ...(typeof calling === 'string' ? { callingStationId: calling } : {}),
  };
}

function mfaDetail(mfa: Extract<MfaDecision, { kind: 'allow' | 'deny' }>): MfaDetail {
  return {
    result: mfa.reason,
    ...(mfa.mfaMethod !== undefined ? { method: mfa.mfaMethod } : {}),
    ...(mfa.code !== undefined ? { code: mfa.code } : {}),
  };
}

/** The second factor's decision as a Completion, with the policy's reply kept for the accept. */
export function completionOf(
  mfa: MfaDecision,
  context: MfaContext,
  reply: readonly AttributeInput[],
  policy: string | undefined,
): Completion {
  const policyField = policy !== undefined ? { policy } : {};
  switch (mfa.kind) {
    case 'allow':
    case 'deny': {
      const decided: Decided = {
        ...policyField,
        mfa: mfaDetail(mfa),
        ...(mfa.detail !== undefined ? { detail: mfa.detail } : {}),
      };
      return mfa.kind === 'allow'
        ? { kind: 'accept', reason: mfa.reason, reply, decided }
        : { kind: 'reject', reason: mfa.reason, decided };
    }
    case 'discard':
      return { kind: 'discard', reason: mfa.reason };
    case 'challenge':
      return {
        kind: 'challenge',
        prompt: mfa.prompt,
        code: { session: mfa.session, context, reply, ...policyField },
        decided: { ...policyField, mfa: { result: 'mfa-code-requested', method: mfa.session.mfaMethod } },
      };
  }
}
