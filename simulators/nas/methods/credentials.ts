// PAP, CHAP and MS-CHAPv2: one Access-Request carries the whole credential. When the server answers
// with an Access-Challenge (an OTP prompt), the user's response is sent the same way the password
// was: in User-Password for PAP (as the NPS extension expects), or as the secret of a new CHAP or
// MS-CHAPv2 response.
import {
  chapResponse,
  checkAuthenticatorResponse,
  encodeChapPassword,
  buildMsChap2Response,
  generateNtResponse,
  msChapV2MppeKeys,
  ntPasswordHash,
  parseMsChap2Success,
} from '../../../protocol/auth/index.ts';
import { mppeKeysReport, msChapErrorReport, octetsOf } from './reply-reading.ts';
import {
  loginError,
  type CredentialAttributes,
  type DecodedReply,
  type MethodReport,
  type MethodVerdict,
} from './types.ts';

export type CredentialMethodName = 'pap' | 'chap' | 'mschapv2';

export interface CredentialMethodOptions {
  readonly user: string;
  readonly randomBytes: (size: number) => Buffer;
  /**
   * CHAP: send the challenge in CHAP-Challenge (`attribute`, default) or use the Request
   * Authenticator as the challenge (`authenticator`, RFC 2865 2.2 allows both).
   */
  readonly chapChallenge?: 'attribute' | 'authenticator';
}

export interface CredentialMethod {
  readonly method: CredentialMethodName;
  /** Attributes carrying `secret` (the password, then any challenge response). */
  attributesFor(secret: string): CredentialAttributes;
  onAccept(reply: DecodedReply): MethodVerdict;
  onReject(reply: DecodedReply): MethodReport;
}

function pap(): CredentialMethod {
  return {
    method: 'pap',
    // buildRequest hides User-Password with the server's secret and the Request Authenticator.
    attributesFor: (secret) => () => [{ name: 'User-Password', value: secret }],
    onAccept: () => ({ ok: true, report: {} }),
    onReject: () => ({}),
  };
}

function chap(options: CredentialMethodOptions): CredentialMethod {
  return {
    method: 'chap',
    attributesFor: (secret) => {
      const chapId = options.randomBytes(1)[0] ?? 0;
      const challenge = options.randomBytes(16);
      return (authenticator) => {
        if (options.chapChallenge === 'authenticator') {
          return [
            {
              name: 'CHAP-Password',
              value: encodeChapPassword(chapId, chapResponse(chapId, secret, authenticator)),
            },
          ];
        }
        return [
          {
            name: 'CHAP-Password',
            value: encodeChapPassword(chapId, chapResponse(chapId, secret, challenge)),
          },
          { name: 'CHAP-Challenge', value: challenge },
        ];
      };
    },
    onAccept: () => ({ ok: true, report: {} }),
    onReject: () => ({}),
  };
}

interface MsChapV2Exchange {
  readonly ident: number;
  readonly ntHash: Buffer;
  readonly ntResponse: Buffer;
  readonly peerChallenge: Buffer;
  readonly authenticatorChallenge: Buffer;
}

function msChapV2(options: CredentialMethodOptions): CredentialMethod {
  let last: MsChapV2Exchange | undefined;
  return {
    method: 'mschapv2',
    attributesFor: (secret) => {
      const ntHash = ntPasswordHash(secret);
      const authenticatorChallenge = options.randomBytes(16);
      const peerChallenge = options.randomBytes(16);
      const ntResponse = generateNtResponse(authenticatorChallenge, peerChallenge, options.user, ntHash);
      const ident = options.randomBytes(1)[0] ?? 0;
      last = { ident, ntHash, ntResponse, peerChallenge, authenticatorChallenge };
      const value = buildMsChap2Response({ ident, peerChallenge, ntResponse });
      return () => [
        { name: 'MS-CHAP-Challenge', value: authenticatorChallenge },
        { name: 'MS-CHAP2-Response', value },
      ];
    },
    onAccept: (reply) => {
      const exchange = last;
      if (exchange === undefined)
        return { ok: false, error: loginError('ms-chap2-success-missing'), report: {} };
      const expected = msChapV2MppeKeys(exchange.ntHash, exchange.ntResponse);
      const mppeKeys = mppeKeysReport(reply, expected);
      const withKeys = mppeKeys !== undefined ? { mppeKeys } : {};
      const success = octetsOf(reply, 'MS-CHAP2-Success');
      if (success === undefined) {
        return {
          ok: false,
          error: loginError('ms-chap2-success-missing'),
          report: { msChap2SuccessVerified: false, ...withKeys },
        };
      }
      const parsed = parseMsChap2Success(success);
      const verified =
        parsed.ok &&
        checkAuthenticatorResponse(
          exchange.ntHash,
          exchange.ntResponse,
          exchange.peerChallenge,
          exchange.authenticatorChallenge,
          options.user,
          parsed.value.authenticatorResponse,
        );
      const report: MethodReport = { msChap2SuccessVerified: verified, ...withKeys };
      if (!verified) {
        const detail = parsed.ok ? 'authenticator response mismatch' : parsed.message;
        return { ok: false, error: loginError('ms-chap2-success-invalid', detail), report };
      }
      return { ok: true, report };
    },
    onReject: (reply) => {
      const error = octetsOf(reply, 'MS-CHAP-Error');
      // MS-CHAP-Error is Ident followed by the RFC 2759 6 text (RFC 2548 2.1.5).
      return error !== undefined && error.length >= 2
        ? { msChapError: msChapErrorReport(error.subarray(1).toString('utf8')) }
        : {};
    },
  };
}

export function createCredentialMethod(
  method: CredentialMethodName,
  options: CredentialMethodOptions,
): CredentialMethod {
  switch (method) {
    case 'pap':
      return pap();
    case 'chap':
      return chap(options);
    case 'mschapv2':
      return msChapV2(options);
  }
}
