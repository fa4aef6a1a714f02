// The EAP peer the simulated NAS carries in EAP-Message (RFC 3579): EAP-MD5 (RFC 3748 5.4) and
// EAP-MSCHAPv2. The NAS is a pass-through authenticator, so it starts with the peer's
// EAP-Response/Identity and relays each EAP-Request the server sends in an Access-Challenge.
import {
  EapCode,
  EapType,
  buildEapMsChapV2Response,
  buildMd5Response,
  checkAuthenticatorResponse,
  decodeEap,
  decodeMsChapV2ServerMessage,
  eapIdentityResponse,
  eapMsChapV2Msk,
  eapNak,
  encodeEap,
  formatErrorMessage,
  generateNtResponse,
  mppeKeysFromMsk,
  ntPasswordHash,
  parseMd5TypeData,
  type EapRequestOrResponse,
} from '../../../protocol/auth/index.ts';
import { mppeKeysReport, msChapErrorReport } from './reply-reading.ts';
import {
  loginError,
  type DecodedReply,
  type LoginError,
  type MethodReport,
  type MethodVerdict,
} from './types.ts';

export type EapMethodName = 'eap-md5' | 'eap-mschapv2';

export interface EapPeerOptions {
  readonly user: string;
  readonly password: string;
  readonly randomBytes: (size: number) => Buffer;
}

export type EapStep =
  { readonly kind: 'send'; readonly eap: Buffer } | { readonly kind: 'stop'; readonly error: LoginError };

export interface EapPeer {
  readonly type: number;
  /** The EAP-Response/Identity that opens the conversation (RFC 3579 2.1). */
  start(): Buffer;
  /** The answer to the EAP-Message of an Access-Challenge. */
  onChallenge(eapMessage: Buffer | undefined): EapStep;
  onAccept(reply: DecodedReply): MethodVerdict;
  onReject(reply: DecodedReply): MethodReport;
}

interface MsChapV2State {
  readonly ntHash: Buffer;
  ntResponse?: Buffer;
  peerChallenge?: Buffer;
  authenticatorChallenge?: Buffer;
  verified?: boolean;
  failure?: string;
}

function stop(code: Parameters<typeof loginError>[0], detail?: string): EapStep {
  return { kind: 'stop', error: loginError(code, detail) };
}

function send(eap: Buffer): EapStep {
  return { kind: 'send', eap };
}

export function createEapPeer(method: EapMethodName, options: EapPeerOptions): EapPeer {
  const type = method === 'eap-md5' ? EapType.Md5Challenge : EapType.MsChapV2;
  const proposedTypes: number[] = [];
  let nakSent = false;
  const mschap: MsChapV2State = { ntHash: ntPasswordHash(options.password) };

  const eapReport = (success: boolean | undefined): MethodReport['eap'] => ({
    type,
    nakSent,
    proposedTypes: [...proposedTypes],
    ...(success !== undefined ? { success } : {}),
  });

  const answerMd5 = (request: EapRequestOrResponse): EapStep => {
    const parsed = parseMd5TypeData(request.typeData);
    if (!parsed.ok) return stop('eap-protocol', parsed.message);
    return send(buildMd5Response(request.identifier, options.password, parsed.value.value, options.user));
  };

  const answerMsChapV2 = (request: EapRequestOrResponse): EapStep => {
    const message = decodeMsChapV2ServerMessage(request.typeData);
    if (!message.ok) return stop('eap-protocol', message.message);
    const value = message.value;
    switch (value.op) {
      case 'challenge': {
        const peerChallenge = options.randomBytes(16);
        const ntResponse = generateNtResponse(value.challenge, peerChallenge, options.user, mschap.ntHash);
        mschap.peerChallenge = peerChallenge;
        mschap.ntResponse = ntResponse;
        mschap.authenticatorChallenge = value.challenge;
        return send(
          buildEapMsChapV2Response(request.identifier, {
            op: 'response',
            msChapV2Id: value.msChapV2Id,
            peerChallenge,
            ntResponse,
            flags: 0,
            name: options.user,
          }),
        );
      }
      case 'success': {
        const { ntResponse, peerChallenge, authenticatorChallenge } = mschap;
        if (ntResponse === undefined || peerChallenge === undefined || authenticatorChallenge === undefined) {
          return stop('eap-protocol', 'EAP-MSCHAPv2 Success before any Challenge');
        }
        mschap.verified = checkAuthenticatorResponse(
          mschap.ntHash,
          ntResponse,
          peerChallenge,
          authenticatorChallenge,
          options.user,
          value.authenticatorResponse,
        );
        // A peer that cannot verify the server must not acknowledge it (RFC 2759 8.8).
        if (!mschap.verified) return stop('eap-authenticator-response-invalid');
        return send(buildEapMsChapV2Response(request.identifier, { op: 'success-ack' }));
      }
      case 'failure':
        mschap.failure = formatErrorMessage(value.error);
        return send(buildEapMsChapV2Response(request.identifier, { op: 'failure-ack' }));
    }
  };

  return {
    type,
    start: () => eapIdentityResponse(options.randomBytes(1)[0] ?? 0, options.user),

    onChallenge: (eapMessage) => {
      if (eapMessage === undefined) return stop('eap-protocol', 'Access-Challenge without EAP-Message');
      const decoded = decodeEap(eapMessage);
      if (!decoded.ok) return stop('eap-protocol', decoded.message);
      const packet = decoded.value;
      if (packet.code !== EapCode.Request) {
        return stop(
          'eap-protocol',
          `EAP code ${packet.code} in an Access-Challenge (only Requests belong there)`,
        );
      }
      if (packet.type === EapType.Identity) return send(eapIdentityResponse(packet.identifier, options.user));
      if (packet.type === EapType.Notification) {
        // RFC 3748 5.2: a Notification is acknowledged with an empty Notification Response.
        return send(
          encodeEap({
            code: EapCode.Response,
            identifier: packet.identifier,
            type: EapType.Notification,
            typeData: Buffer.alloc(0),
          }),
        );
      }
      if (packet.type !== type) {
        proposedTypes.push(packet.type);
        if (nakSent)
          return stop(
            'eap-method-refused',
            `server proposed type ${packet.type} again after a Nak for ${type}`,
          );
        nakSent = true;
        return send(eapNak(packet.identifier, [type]));
      }
      return type === EapType.Md5Challenge ? answerMd5(packet) : answerMsChapV2(packet);
    },

    onAccept: (reply) => {
      const final = reply.eapMessage === undefined ? undefined : decodeEap(reply.eapMessage);
      const success = final?.ok === true ? final.value.code === EapCode.Success : undefined;
      let mppeKeys = mppeKeysReport(reply);
      const report = (): MethodReport => ({
        eap: eapReport(success),
        ...(mppeKeys !== undefined ? { mppeKeys } : {}),
        ...(type === EapType.MsChapV2 ? { msChap2SuccessVerified: mschap.verified === true } : {}),
      });
      if (success !== true) {
        return {
          ok: false,
          error: loginError('eap-protocol', 'Access-Accept without EAP-Success (RFC 3579 2.6.3)'),
          report: report(),
        };
      }
      if (type === EapType.MsChapV2) {
        if (mschap.ntResponse !== undefined) {
          mppeKeys = mppeKeysReport(reply, mppeKeysFromMsk(eapMsChapV2Msk(mschap.ntHash, mschap.ntResponse)));
        }
        if (mschap.verified !== true) {
          return {
            ok: false,
            error: loginError(
              'eap-protocol',
              'Access-Accept before the EAP-MSCHAPv2 Success request was verified',
            ),
            report: report(),
          };
        }
      }
      return { ok: true, report: report() };
    },

    onReject: (reply) => {
      const final = reply.eapMessage === undefined ? undefined : decodeEap(reply.eapMessage);
      const success = final?.ok === true ? final.value.code === EapCode.Success : undefined;
      return {
        eap: eapReport(success),
        ...(mschap.failure !== undefined ? { msChapError: msChapErrorReport(mschap.failure) } : {}),
      };
    },
  };
}
