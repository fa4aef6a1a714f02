import { randomBytes } from 'node:crypto';
import {
  EapCode,
  EapType,
  MsChapV2OpCode,
  buildEapMsChapV2Request,
  buildMd5Challenge,
  decodeEap,
  decodeMsChapV2PeerMessage,
  eapFailure,
  eapIdentityRequest,
  eapMsChapV2Msk,
  eapSuccess,
  generateAuthenticatorResponse,
  mppeKeysFromMsk,
  stripNtDomain,
  verifyMd5Response,
  verifyNtResponse,
  type MppeKeys,
} from '../../protocol/auth/index.ts';
import type { AttributeInput } from '../../protocol/index.ts';
import type { AccessReason, Decided, DiscardReason } from '../access/reasons.ts';
import type { DirectoryUser } from '../directory/types.ts';
import type { AuthMethod } from '../methods.ts';

/** EAP conversation state carried between rounds, keyed by the RADIUS State attribute. */
export type EapSession =
  /** The NAS sent EAP-Start; the server asked for the identity (RFC 3579 2.1). */
  | { readonly stage: 'identity-requested'; readonly eapId: number }
  | {
      readonly stage: 'md5-challenge';
      readonly identity: string;
      readonly eapId: number;
      readonly challenge: Buffer;
    }
  | {
      readonly stage: 'mschapv2-challenge';
      readonly identity: string;
      readonly eapId: number;
      readonly challenge: Buffer;
    }
  | {
      readonly stage: 'mschapv2-success-sent';
      readonly identity: string;
      readonly eapId: number;
      readonly keys: MppeKeys;
      readonly user: DirectoryUser;
      readonly reply: readonly AttributeInput[];
      readonly reason: AccessReason;
      readonly decided: Decided;
    };

/** Primary lookup for EAP: an active user, or why not (not found, disabled, directory down...). */
export type EapUserLookup =
  | { readonly kind: 'found'; readonly user: DirectoryUser }
  | { readonly kind: 'reject'; readonly reason: AccessReason; readonly detail?: string }
  | { readonly kind: 'discard'; readonly reason: DiscardReason; readonly detail?: string };

/** Policy and second factor, run once the EAP method proved the password. */
export type EapCompletion =
  | {
      readonly kind: 'accept';
      readonly reply: readonly AttributeInput[];
      readonly reason: AccessReason;
      readonly decided: Decided;
    }
  | { readonly kind: 'reject'; readonly reason: AccessReason; readonly decided: Decided }
  | { readonly kind: 'discard'; readonly reason: DiscardReason; readonly detail?: string };

export interface EapDeps {
  /** `method` says which secret the check needs (the directory reads only that one). */
  lookupUser(identity: string, method: AuthMethod): Promise<EapUserLookup>;
  complete(user: DirectoryUser, method: AuthMethod): Promise<EapCompletion>;
}

export type EapOutcome =
  | {
      readonly kind: 'challenge';
      readonly eap: Buffer;
      readonly session: EapSession;
      readonly method?: AuthMethod;
    }
  | {
      readonly kind: 'accept';
      readonly eap: Buffer;
      readonly method: AuthMethod;
      readonly user: DirectoryUser;
      readonly reply: readonly AttributeInput[];
      readonly keys?: MppeKeys;
      readonly reason: AccessReason;
      readonly decided: Decided;
    }
  | {
      readonly kind: 'reject';
      readonly eap: Buffer;
      readonly reason: AccessReason;
      readonly method?: AuthMethod;
      /** Policy and second factor, when the password was proven before the reject. */
      readonly decided?: Decided;
    }
  | { readonly kind: 'discard'; readonly reason: DiscardReason; readonly detail?: string };

export interface EapServerOptions {
  /** Method proposed first after EAP-Identity; a peer's Nak can switch to the other (FreeRADIUS default: md5). */
  readonly defaultType: 'md5' | 'mschapv2';
  readonly serverName: string;
  readonly random?: (size: number) => Buffer;
}

const next = (id: number): number => (id + 1) & 0xff;

/** Access-Reject with EAP-Failure answering the Response with Identifier `eapId` (RFC 3748 4.2). */
function failure(eapId: number, method: AuthMethod, reason: AccessReason, decided?: Decided): EapOutcome {
  return {
    kind: 'reject',
    eap: eapFailure(eapId),
    reason,
    method,
    ...(decided !== undefined ? { decided } : {}),
  };
}
// EAP-Success and EAP-Failure carry the Identifier of the Response they answer (RFC 3748 4.2);
// only a new Request takes the next Identifier.

/**
 * The server side of EAP-MD5 and EAP-MSCHAPv2 carried in RADIUS (RFC 3579). One call per
 * Access-Request: given the reassembled EAP-Message and the session its State named, it returns
 * what to answer.
 */
export class EapServer {
  private readonly random: (size: number) => Buffer;

  constructor(private readonly options: EapServerOptions) {
    this.random = options.random ?? randomBytes;
  }

  async handle(eapMessage: Buffer, session: EapSession | undefined, deps: EapDeps): Promise<EapOutcome> {
    if (eapMessage.length === 0 && session === undefined) {
      // RFC 3579 2.1: an empty EAP-Message is EAP-Start; answer with EAP-Request/Identity.
      return {
        kind: 'challenge',
        eap: eapIdentityRequest(0),
        session: { stage: 'identity-requested', eapId: 0 },
      };
    }
    const decoded = decodeEap(eapMessage);
    if (!decoded.ok)
      return {
        kind: 'reject',
        eap: eapFailure(0),
        reason: 'eap-malformed',
        decided: { detail: decoded.message },
      };
    const packet = decoded.value;
    if (packet.code !== EapCode.Response) {
      return { kind: 'reject', eap: eapFailure(packet.identifier), reason: 'eap-not-a-response' };
    }
    if (session === undefined || session.stage === 'identity-requested') {
      if (session !== undefined && packet.identifier !== session.eapId) {
        return { kind: 'reject', eap: eapFailure(packet.identifier), reason: 'eap-identifier-mismatch' };
      }
      if (packet.type !== EapType.Identity) {
        return { kind: 'reject', eap: eapFailure(packet.identifier), reason: 'eap-expected-identity' };
      }
      const identity = packet.typeData.toString('utf8');
      return this.propose(this.options.defaultType, identity, next(packet.identifier));
    }
    if (packet.identifier !== session.eapId) {
      // RFC 3748 4.1: a Response must match the outstanding Request's Identifier.
      return { kind: 'reject', eap: eapFailure(packet.identifier), reason: 'eap-identifier-mismatch' };
    }
    if (packet.type === EapType.Nak && session.stage !== 'mschapv2-success-sent') {
      const wanted = [...packet.typeData];
      const current = session.stage === 'md5-challenge' ? EapType.Md5Challenge : EapType.MsChapV2;
      const alternative = wanted.find(
        (t) => t !== current && (t === EapType.Md5Challenge || t === EapType.MsChapV2),
      );
      if (alternative === undefined) {
        return { kind: 'reject', eap: eapFailure(packet.identifier), reason: 'eap-no-common-method' };
      }
      return this.propose(
        alternative === EapType.MsChapV2 ? 'mschapv2' : 'md5',
        session.identity,
        next(packet.identifier),
      );
    }
    switch (session.stage) {
      case 'md5-challenge':
        return this.md5Response(session, packet.type, packet.typeData, deps);
      case 'mschapv2-challenge':
        return this.msChapV2Response(session, packet.type, packet.typeData, deps);
      case 'mschapv2-success-sent':
        return this.msChapV2Ack(session, packet.type, packet.typeData);
    }
  }

  private propose(type: 'md5' | 'mschapv2', identity: string, eapId: number): EapOutcome {
    if (type === 'md5') {
      const challenge = this.random(16);
      return {
        kind: 'challenge',
        eap: buildMd5Challenge(eapId, challenge, this.options.serverName),
        session: { stage: 'md5-challenge', identity, eapId, challenge },
        method: 'eap-md5',
      };
    }
    const challenge = this.random(16);
    return {
      kind: 'challenge',
      eap: buildEapMsChapV2Request(eapId, {
        op: 'challenge',
        msChapV2Id: eapId,
        challenge,
        name: this.options.serverName,
      }),
      session: { stage: 'mschapv2-challenge', identity, eapId, challenge },
      method: 'eap-mschapv2',
    };
  }

  private async md5Response(
    session: Extract<EapSession, { stage: 'md5-challenge' }>,
    type: number,
    typeData: Buffer,
    deps: EapDeps,
  ): Promise<EapOutcome> {
    const method: AuthMethod = 'eap-md5';
    const failId = session.eapId;
    if (type !== EapType.Md5Challenge) return failure(failId, method, 'eap-unexpected-type');
    const lookup = await deps.lookupUser(session.identity, method);
    if (lookup.kind === 'discard') return lookup;
    if (lookup.kind === 'reject')
      return failure(
        failId,
        method,
        lookup.reason,
        lookup.detail !== undefined ? { detail: lookup.detail } : undefined,
      );
    const password = lookup.user.cleartextPassword;
    if (password === undefined) {
      return failure(failId, method, 'no-cleartext-password-for-eap-md5');
    }
    if (!verifyMd5Response(typeData, session.eapId, password, session.challenge)) {
      return failure(failId, method, 'wrong-password');
    }
    const done = await deps.complete(lookup.user, method);
    if (done.kind === 'discard') return done;
    if (done.kind === 'reject') return failure(failId, method, done.reason, done.decided);
    return {
      kind: 'accept',
      eap: eapSuccess(failId),
      method,
      user: lookup.user,
      reply: done.reply,
      reason: done.reason,
      decided: done.decided,
    };
  }

  private async msChapV2Response(
    session: Extract<EapSession, { stage: 'mschapv2-challenge' }>,
    type: number,
    typeData: Buffer,
    deps: EapDeps,
  ): Promise<EapOutcome> {
    const method: AuthMethod = 'eap-mschapv2';
    const failId = session.eapId;
    if (type !== EapType.MsChapV2) return failure(failId, method, 'eap-unexpected-type');
    const message = decodeMsChapV2PeerMessage(typeData);
    if (!message.ok || message.value.op !== 'response') {
      return failure(failId, method, 'eap-mschapv2-malformed');
    }
    const response = message.value;
    const lookup = await deps.lookupUser(session.identity, method);
    if (lookup.kind === 'discard') return lookup;
    if (lookup.kind === 'reject')
      return failure(
        failId,
        method,
        lookup.reason,
        lookup.detail !== undefined ? { detail: lookup.detail } : undefined,
      );
    const ntHash = lookup.user.ntHash;
    if (ntHash === undefined) return failure(failId, method, 'no-nt-hash-for-mschapv2');
    const userName = stripNtDomain(response.name);
    const verified = verifyNtResponse(
      session.challenge,
      response.peerChallenge,
      userName,
      ntHash,
      response.ntResponse,
    );
    if (!verified) return failure(failId, method, 'wrong-password');
    const done = await deps.complete(lookup.user, method);
    if (done.kind === 'discard') return done;
    if (done.kind === 'reject') return failure(failId, method, done.reason, done.decided);
    const authenticatorResponse = generateAuthenticatorResponse(
      ntHash,
      response.ntResponse,
      response.peerChallenge,
      session.challenge,
      userName,
    );
    const eapId = next(session.eapId);
    return {
      kind: 'challenge',
      method,
      eap: buildEapMsChapV2Request(eapId, {
        op: 'success',
        msChapV2Id: session.eapId,
        authenticatorResponse,
      }),
      session: {
        stage: 'mschapv2-success-sent',
        identity: session.identity,
        eapId,
        keys: mppeKeysFromMsk(eapMsChapV2Msk(ntHash, response.ntResponse)),
        user: lookup.user,
        reply: done.reply,
        reason: done.reason,
        decided: done.decided,
      },
    };
  }

  private msChapV2Ack(
    session: Extract<EapSession, { stage: 'mschapv2-success-sent' }>,
    type: number,
    typeData: Buffer,
  ): EapOutcome {
    const method: AuthMethod = 'eap-mschapv2';
    const successId = session.eapId;
    if (type !== EapType.MsChapV2 || typeData[0] !== MsChapV2OpCode.Success) {
      return { kind: 'reject', eap: eapFailure(successId), reason: 'eap-mschapv2-no-success-ack', method };
    }
    return {
      kind: 'accept',
      eap: eapSuccess(successId),
      method,
      user: session.user,
      reply: session.reply,
      keys: session.keys,
      reason: session.reason,
      decided: session.decided,
    };
  }
}
