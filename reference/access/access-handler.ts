import { randomBytes } from 'node:crypto';
import {
  buildMsChap2Success,
  buildMsChapError,
  eapFailure,
  MsChapErrorCode,
  generateAuthenticatorResponse,
  msChapV2MppeKeys,
  splitEapMessage,
  stripNtDomain,
  verifyChapPassword,
  verifyNtResponse,
  verifyNtResponseV1,
  type MppeKeys,
} from '../../protocol/auth/index.ts';
import {
  attributeValue,
  type AttributeInput,
  type DecodedAttribute,
  type RadiusPacket,
} from '../../protocol/index.ts';
import type { Clock } from '../../runtime/clock.ts';
import { ChallengeStore } from '../challenge-store.ts';
import type { RadiusClient } from '../clients.ts';
import type { ServerConfig } from '../config/server-config.ts';
import type { Directory, DirectoryUser } from '../directory/types.ts';
import { EapServer, type EapCompletion, type EapSession, type EapUserLookup } from '../eap/eap-server.ts';
import type { AuthMethod } from '../methods.ts';
import type { MfaCodeSession, MfaContext, MfaDecision, SecondFactor } from '../mfa/second-factor.ts';
import { credentialsOf, type Credentials } from './credentials.ts';
import { evaluatePolicy } from './policy.ts';

export interface AccessRequest {
  readonly packet: RadiusPacket;
  /** Decoded with the client's secret, so User-Password is revealed. */
  readonly attributes: readonly DecodedAttribute[];
  readonly client: RadiusClient;
}

interface Detail {
  readonly reason: string;
  readonly userName?: string;
  readonly method?: AuthMethod;
  readonly policy?: string;
  readonly mfa?: { readonly method?: string; readonly result: string };
}

export type AccessResult =
  | (Detail & {
      readonly kind: 'accept' | 'reject' | 'challenge';
      readonly attributes: readonly AttributeInput[];
    })
  | (Detail & { readonly kind: 'discard' });

/** A conversation waiting for the next Access-Request; `client` is the RADIUS client it belongs to. */
type Pending =
  | { readonly kind: 'eap'; readonly client: string; readonly session: EapSession }
  | {
      readonly kind: 'mfa-code';
      readonly client: string;
      readonly session: MfaCodeSession;
      readonly context: MfaContext;
      readonly reply: readonly AttributeInput[];
      readonly policy?: string;
    };

export interface AccessHandlerDeps {
  readonly config: ServerConfig;
  readonly directory: Directory;
  readonly clock: Clock;
  readonly secondFactor?: SecondFactor;
  readonly random?: (size: number) => Buffer;
}

/** Outcome of primary authentication and everything after it, before it becomes RADIUS attributes. */
type Completion =
  | {
      readonly kind: 'accept';
      readonly reply: readonly AttributeInput[];
      readonly reason: string;
      readonly policy?: string;
      readonly mfa?: Detail['mfa'];
    }
  | {
      readonly kind: 'reject';
      readonly reason: string;
      readonly policy?: string;
      readonly mfa?: Detail['mfa'];
    }
  | {
      readonly kind: 'challenge';
      readonly prompt: string;
      readonly state: Buffer;
      readonly mfa?: Detail['mfa'];
    }
  | { readonly kind: 'discard'; readonly reason: string };

const userStateReasons = {
  disabled: 'account-disabled',
  locked: 'account-locked',
  expired: 'account-expired',
  'password-expired': 'password-expired',
} as const;

/**
 * Access-Request processing: method detection, primary authentication against the directory,
 * network policy, second factor, and the attributes of the answer. Stateless per request except
 * for conversations keyed by State (EAP rounds, MFA code prompts).
 */
export class AccessHandler {
  private readonly pending: ChallengeStore<Pending>;
  private readonly eap: EapServer;

  constructor(private readonly deps: AccessHandlerDeps) {
    const random = deps.random ?? randomBytes;
    this.pending = new ChallengeStore<Pending>(deps.clock, deps.config.mfa.challengeTtlMs, 100_000, random);
    this.eap = new EapServer({ defaultType: deps.config.eap.defaultMethod, serverName: 'radmfa', random });
  }

  get openConversations(): number {
    return this.pending.size;
  }

  close(): void {
    this.pending.close();
  }

  async handle(request: AccessRequest): Promise<AccessResult> {
    const userNameValue = attributeValue(request.attributes, 'User-Name');
    const userName = typeof userNameValue === 'string' ? userNameValue : undefined;
    const state = attributeValue(request.attributes, 'State');
    const credentials = credentialsOf(request.packet, request.attributes);
    let pending: Pending | undefined;
    if (Buffer.isBuffer(state)) {
      pending = this.pending.take(state);
      if (pending === undefined) {
        // RFC 3748 4.2: the EAP-Failure answers the Response, so it takes its Identifier.
        const eapId = credentials.method === 'eap' ? (credentials.eapMessage[1] ?? 0) : undefined;
        return this.reject('unknown-or-expired-state', userName, undefined, eapId);
      }
      if (pending.client !== request.client.name) {
        // A State is only good on the client it was handed to: another NAS cannot answer this prompt.
        const eapId = credentials.method === 'eap' ? (credentials.eapMessage[1] ?? 0) : undefined;
        return this.reject('state-from-another-client', userName, undefined, eapId);
      }
    }
    if (credentials.method === 'eap') {
      if (pending !== undefined && pending.kind !== 'eap')
        return this.reject(
          'state-belongs-to-another-method',
          userName,
          undefined,
          credentials.eapMessage[1] ?? 0,
        );
      return this.handleEap(request, credentials.eapMessage, pending?.session, userName);
    }
    if (pending?.kind === 'mfa-code') return this.handleCode(pending, credentials, userName);
    if (pending !== undefined) return this.reject('state-belongs-to-another-method', userName);
    if (credentials.method === 'none') return this.reject(`no-credentials: ${credentials.detail}`, userName);
    if (userName === undefined) return this.reject('no-user-name', userName, credentials.method);
    return this.handlePlain(request, credentials, userName);
  }

  private async handlePlain(
    request: AccessRequest,
    credentials: Exclude<Credentials, { method: 'eap' | 'none' }>,
    userName: string,
  ): Promise<AccessResult> {
    const method = credentials.method;
    const lookup = await this.lookupUser(userName);
    if (lookup.kind === 'discard') return { kind: 'discard', reason: lookup.reason, userName, method };
    if (lookup.kind === 'reject') return this.reject(lookup.reason, userName, method);
    const user = lookup.user;
    const primary = await this.verifyPrimary(user, credentials, userName);
    if (primary.kind === 'discard') return { kind: 'discard', reason: primary.reason, userName, method };
    if (primary.kind === 'reject') {
      return { kind: 'reject', attributes: primary.attributes, reason: primary.reason, userName, method };
    }
    const done = await this.complete(request, user, method);
    return resultOf(done, { userName, method }, primary.attributes, 'mfa-code-requested');
  }

  private async lookupUser(userName: string): Promise<EapUserLookup> {
    const found = await this.deps.directory.findUser(userName);
    if (found.kind === 'unavailable') {
      const reason = `directory-unavailable: ${found.reason}`;
      return this.deps.config.directory.onUnavailable === 'discard'
        ? { kind: 'discard', reason }
        : { kind: 'reject', reason };
    }
    if (found.kind === 'not-found') return { kind: 'reject', reason: 'user-not-found' };
    if (found.user.state !== 'active') return { kind: 'reject', reason: userStateReasons[found.user.state] };
    return found;
  }

  private async verifyPrimary(
    user: DirectoryUser,
    credentials: Exclude<Credentials, { method: 'eap' | 'none' }>,
    userName: string,
  ): Promise<
    | { kind: 'ok'; attributes: AttributeInput[] }
    | { kind: 'reject'; reason: string; attributes: AttributeInput[] }
    | { kind: 'discard'; reason: string }
  > {
    switch (credentials.method) {
      case 'pap': {
        const bound = await this.deps.directory.bindAsUser(user, credentials.password.toString('utf8'));
        if (bound === 'ok') return { kind: 'ok', attributes: [] };
        if (bound === 'invalid-credentials')
          return { kind: 'reject', reason: 'wrong-password', attributes: [] };
        const reason = `directory-unavailable: ${bound.unavailable}`;
        return this.deps.config.directory.onUnavailable === 'discard'
          ? { kind: 'discard', reason }
          : { kind: 'reject', reason, attributes: [] };
      }
      case 'chap': {
        if (user.cleartextPassword === undefined)
          return { kind: 'reject', reason: 'no-cleartext-password-for-chap', attributes: [] };
        return verifyChapPassword(credentials.chapPassword, credentials.challenge, user.cleartextPassword)
          ? { kind: 'ok', attributes: [] }
          : { kind: 'reject', reason: 'wrong-password', attributes: [] };
      }
      case 'mschap': {
        if (user.ntHash === undefined)
          return { kind: 'reject', reason: 'no-nt-hash-for-mschap', attributes: [] };
        if (verifyNtResponseV1(credentials.challenge, user.ntHash, credentials.response.ntResponse))
          return { kind: 'ok', attributes: [] };
        return {
          kind: 'reject',
          reason: 'wrong-password',
          attributes: [this.msChapError(credentials.response.ident, credentials.challenge, 2)],
        };
      }
      case 'mschapv2': {
        if (user.ntHash === undefined)
          return { kind: 'reject', reason: 'no-nt-hash-for-mschapv2', attributes: [] };
        const { challenge, response } = credentials;
        // RFC 2759 4: the user name in ChallengeHash is the one without its domain.
        const name = stripNtDomain(userName);
        if (!verifyNtResponse(challenge, response.peerChallenge, name, user.ntHash, response.ntResponse)) {
          return {
            kind: 'reject',
            reason: 'wrong-password',
            attributes: [this.msChapError(response.ident, challenge, 3)],
          };
        }
        const authenticatorResponse = generateAuthenticatorResponse(
          user.ntHash,
          response.ntResponse,
          response.peerChallenge,
          challenge,
          name,
        );
        return {
          kind: 'ok',
          attributes: [
            { name: 'MS-CHAP2-Success', value: buildMsChap2Success(response.ident, authenticatorResponse) },
            ...mppeAttributes(msChapV2MppeKeys(user.ntHash, response.ntResponse)),
          ],
        };
      }
    }
  }

  private msChapError(ident: number, challenge: Buffer, version: number): AttributeInput {
    // E=691 is "authentication failure"; R=0: no retry (RFC 2759 6).
    return {
      name: 'MS-CHAP-Error',
      value: buildMsChapError(ident, {
        errorCode: MsChapErrorCode.AuthenticationFailure,
        retry: false,
        ...(version === 3 ? { challenge, version } : {}),
        message: 'Authentication failed',
      }),
    };
  }

  /** Network policy, then the second factor: what happens once the password is proven. */
  private async complete(
    request: AccessRequest,
    user: DirectoryUser,
    method: AuthMethod,
  ): Promise<Completion> {
    const nasPortType = attributeValue(request.attributes, 'NAS-Port-Type');
    const decision = evaluatePolicy(this.deps.config.policy, {
      client: request.client.name,
      groups: user.groups,
      method,
      ...(typeof nasPortType === 'number' ? { nasPortType } : {}),
    });
    if (decision.kind === 'deny') {
      return {
        kind: 'reject',
        reason: 'policy-denied',
        ...(decision.rule !== undefined ? { policy: decision.rule } : {}),
      };
    }
    const policy = decision.rule !== undefined ? { policy: decision.rule } : {};
    const factor = this.deps.secondFactor;
    if (!this.deps.config.mfa.enabled || factor === undefined) {
      return { kind: 'accept', reply: decision.reply, reason: 'primary-ok', ...policy };
    }
    // A NAS on IPv6 identifies itself with NAS-IPv6-Address (RFC 3162) instead.
    const nasIp =
      attributeValue(request.attributes, 'NAS-IP-Address') ??
      attributeValue(request.attributes, 'NAS-IPv6-Address');
    const calling = attributeValue(request.attributes, 'Calling-Station-Id');
    const context: MfaContext = {
      user,
      method,
      client: request.client.name,
      ...(typeof nasIp === 'string' ? { nasIpAddress: nasIp } : {}),
      ...(typeof calling === 'string' ? { callingStationId: calling } : {}),
    };
    const mfa = await factor.verify(context);
    return this.afterMfa(mfa, context, decision.reply, policy.policy);
  }

  private afterMfa(
    mfa: MfaDecision,
    context: MfaContext,
    reply: readonly AttributeInput[],
    policy: string | undefined,
  ): Completion {
    const policyField = policy !== undefined ? { policy } : {};
    switch (mfa.kind) {
      case 'allow':
        return {
          kind: 'accept',
          reply,
          reason: mfa.reason,
          ...policyField,
          mfa: { result: mfa.reason, ...(mfa.mfaMethod !== undefined ? { method: mfa.mfaMethod } : {}) },
        };
      case 'deny':
        return {
          kind: 'reject',
          reason: mfa.reason,
          ...policyField,
          mfa: { result: mfa.reason, ...(mfa.mfaMethod !== undefined ? { method: mfa.mfaMethod } : {}) },
        };
      case 'discard':
        return { kind: 'discard', reason: mfa.reason };
      case 'challenge': {
        const state = this.pending.open({
          kind: 'mfa-code',
          client: context.client,
          session: mfa.session,
          context,
          reply,
          ...policyField,
        });
        return {
          kind: 'challenge',
          prompt: mfa.prompt,
          state,
          mfa: { result: 'code-requested', method: mfa.session.mfaMethod },
        };
      }
    }
  }

  private async handleCode(
    pending: Extract<Pending, { kind: 'mfa-code' }>,
    credentials: Credentials,
    userName: string | undefined,
  ): Promise<AccessResult> {
    const method = pending.context.method;
    if (credentials.method !== 'pap')
      return this.reject('mfa-code-expected-in-user-password', userName, method);
    const factor = this.deps.secondFactor;
    if (factor === undefined) return this.reject('mfa-not-configured', userName, method);
    const mfa = await factor.submitCode(
      pending.context,
      pending.session,
      credentials.password.toString('utf8'),
    );
    // The documented NPS limitation: after an OTP challenge, policy attributes are not returned.
    const reply = this.deps.config.npsCompat.dropPolicyAttributesAfterChallenge ? [] : pending.reply;
    const done = this.afterMfa(mfa, pending.context, reply, pending.policy);
    const base = { userName: userName ?? pending.context.user.accountName, method };
    return resultOf(done, base, [], 'mfa-code-requested-again');
  }

  private async handleEap(
    request: AccessRequest,
    eapMessage: Buffer,
    session: EapSession | undefined,
    userName: string | undefined,
  ): Promise<AccessResult> {
    let mfaDetail: Detail['mfa'];
    let policyName: string | undefined;
    const outcome = await this.eap.handle(eapMessage, session, {
      lookupUser: (identity) => this.lookupUser(userName ?? identity),
      complete: async (user, method): Promise<EapCompletion> => {
        const done = await this.complete(request, user, method);
        mfaDetail = 'mfa' in done ? done.mfa : undefined;
        policyName = 'policy' in done ? done.policy : undefined;
        // EAP methods cannot carry a code prompt: the second factor must be push or call.
        if (done.kind === 'challenge') return { kind: 'reject', reason: 'REQUEST_MISSING_CODE' };
        return done;
      },
    });
    const extras = {
      ...(userName !== undefined ? { userName } : {}),
      ...(mfaDetail !== undefined ? { mfa: mfaDetail } : {}),
      ...(policyName !== undefined ? { policy: policyName } : {}),
    };
    switch (outcome.kind) {
      case 'discard':
        return { kind: 'discard', reason: outcome.reason, ...extras };
      case 'challenge': {
        const state = this.pending.open({
          kind: 'eap',
          client: request.client.name,
          session: outcome.session,
        });
        return {
          kind: 'challenge',
          attributes: [...eapAttributes(outcome.eap), { name: 'State', value: state }],
          reason: `eap-${outcome.session.stage}`,
          ...extras,
          ...(outcome.method !== undefined ? { method: outcome.method } : {}),
        };
      }
      case 'reject':
        return {
          kind: 'reject',
          attributes: eapAttributes(outcome.eap),
          reason: outcome.reason,
          ...extras,
          ...(outcome.method !== undefined ? { method: outcome.method } : {}),
        };
      case 'accept':
        return {
          kind: 'accept',
          attributes: [
            ...outcome.reply,
            ...eapAttributes(outcome.eap),
            ...(outcome.keys !== undefined ? mppeAttributes(outcome.keys) : []),
          ],
          reason: outcome.reason,
          method: outcome.method,
          ...extras,
          userName: userName ?? outcome.user.accountName,
        };
    }
  }

  private reject(
    reason: string,
    userName: string | undefined,
    method?: AuthMethod,
    eapFailureId?: number,
  ): AccessResult {
    return {
      kind: 'reject',
      // RFC 3579 2.6.3: an Access-Reject answering EAP carries EAP-Failure.
      attributes: eapFailureId !== undefined ? eapAttributes(eapFailure(eapFailureId)) : [],
      reason,
      ...(userName !== undefined ? { userName } : {}),
      ...(method !== undefined ? { method } : {}),
    };
  }
}

/**
 * The answer to a completed login: accept with the policy's reply plus the method's own attributes
 * (MS-CHAP2-Success, MPPE keys), reject, a code prompt (Reply-Message + State), or silence.
 */
function resultOf(
  done: Completion,
  base: { readonly userName?: string; readonly method: AuthMethod },
  methodAttributes: readonly AttributeInput[],
  challengeReason: string,
): AccessResult {
  const detail = {
    ...base,
    ...('policy' in done && done.policy !== undefined ? { policy: done.policy } : {}),
    ...('mfa' in done && done.mfa !== undefined ? { mfa: done.mfa } : {}),
  };
  switch (done.kind) {
    case 'discard':
      return { kind: 'discard', reason: done.reason, ...base };
    case 'reject':
      return { kind: 'reject', attributes: [], reason: done.reason, ...detail };
    case 'challenge':
      return {
        kind: 'challenge',
        attributes: [
          { name: 'Reply-Message', value: done.prompt },
          { name: 'State', value: done.state },
        ],
        reason: challengeReason,
        ...detail,
      };
    case 'accept':
      return {
        kind: 'accept',
        attributes: [...done.reply, ...methodAttributes],
        reason: done.reason,
        ...detail,
      };
  }
}

function eapAttributes(eap: Buffer): AttributeInput[] {
  return splitEapMessage(eap).map((chunk) => ({ name: 'EAP-Message', value: chunk }));
}

function mppeAttributes(keys: MppeKeys): AttributeInput[] {
  return [
    // Encryption-Allowed / RC4 40 or 128 bit, as FreeRADIUS's mschap module replies.
    { name: 'MS-MPPE-Encryption-Policy', value: 'Encryption-Allowed' },
    { name: 'MS-MPPE-Encryption-Types', value: 6 },
    { name: 'MS-MPPE-Send-Key', value: keys.sendKey },
    { name: 'MS-MPPE-Recv-Key', value: keys.recvKey },
  ];
}
