// What the authentication methods of the simulated NAS share: the reply as they see it, and what
// they report about it.
import type { AttributeInput, DecodedAttribute } from '../../../protocol/index.ts';
import { NasError } from '../errors.ts';

export type LoginMethod = 'pap' | 'chap' | 'mschapv2' | 'eap-md5' | 'eap-mschapv2';
export const loginMethods: readonly LoginMethod[] = ['pap', 'chap', 'mschapv2', 'eap-md5', 'eap-mschapv2'];

/** Why a login ended in `error` rather than accept, reject or timeout. */
export type LoginErrorCode =
  | 'closed'
  | 'identifiers-exhausted'
  | 'request-build-failed'
  | 'challenge-unanswered'
  | 'too-many-challenges'
  | 'too-many-rounds'
  | 'unexpected-challenge'
  | 'ms-chap2-success-missing'
  | 'ms-chap2-success-invalid'
  | 'eap-protocol'
  | 'eap-method-refused'
  | 'eap-authenticator-response-invalid';

export const loginErrorReasons: Readonly<Record<LoginErrorCode, string>> = {
  closed: 'the NAS was closed before the operation finished',
  'identifiers-exhausted': 'every Identifier of every NAS socket was outstanding (raise maxSockets)',
  'request-build-failed': 'the Access-Request could not be encoded (an attribute value does not fit)',
  'challenge-unanswered': 'the server sent an Access-Challenge and the user gave no response',
  'too-many-challenges': 'the server kept sending Access-Challenges past the configured bound',
  'too-many-rounds': 'the exchange took more Access-Request rounds than the configured bound',
  'unexpected-challenge': 'an Access-Challenge this method cannot answer',
  'ms-chap2-success-missing':
    'Access-Accept without MS-CHAP2-Success: an MS-CHAPv2 peer cannot authenticate the server',
  'ms-chap2-success-invalid': 'MS-CHAP2-Success does not prove knowledge of the password (RFC 2759 8.8)',
  'eap-protocol': 'the EAP conversation broke the rules (RFC 3748 / RFC 3579)',
  'eap-method-refused': 'the server insisted on an EAP method other than the one requested',
  'eap-authenticator-response-invalid': 'the EAP-MSCHAPv2 Success "S=" value does not verify (RFC 2759 8.8)',
};

export interface LoginError {
  readonly code: LoginErrorCode;
  readonly message: string;
}

/** A thrown error as an operation error: closed and exhausted NASes are named, the rest are build failures. */
export function errorFromException(error: unknown): LoginError {
  if (error instanceof NasError) {
    return loginError(error.code === 'RADMFA_NAS_CLOSED' ? 'closed' : 'identifiers-exhausted');
  }
  return loginError('request-build-failed', error instanceof Error ? error.message : String(error));
}

export function loginError(code: LoginErrorCode, detail?: string): LoginError {
  const reason = loginErrorReasons[code];
  return { code, message: detail === undefined ? reason : `${reason}: ${detail}` };
}

/** A verified reply, decoded with the secret and Request Authenticator it answers. */
export interface DecodedReply {
  readonly code: number;
  readonly attributes: readonly DecodedAttribute[];
  readonly replyMessages: readonly string[];
  readonly state?: Buffer;
  /** EAP-Message values joined (RFC 3579 3.1). */
  readonly eapMessage?: Buffer;
}

/** RFC 2759 6 failure as carried in MS-CHAP-Error or an EAP-MSCHAPv2 Failure request. */
export interface MsChapErrorReport {
  readonly errorCode: number;
  readonly retry: boolean;
  readonly message?: string;
  /** The text as received. */
  readonly text: string;
}

export interface MppeKeysReport {
  /** MS-MPPE-Send-Key, decrypted (RFC 2548 2.4.2). */
  readonly sendKey: Buffer;
  /** MS-MPPE-Recv-Key, decrypted (RFC 2548 2.4.3). */
  readonly recvKey: Buffer;
  /** Whether they equal the keys this side derives from the password (MS-CHAPv2, EAP-MSCHAPv2 only). */
  readonly matchesExpected?: boolean;
}

export interface EapReport {
  /** EAP method type used (4 MD5-Challenge, 26 MSCHAPv2). */
  readonly type: number;
  /** EAP-Success (true) or EAP-Failure (false) in the final reply; undefined when neither came. */
  readonly success?: boolean;
  /** A Nak was sent because the server first proposed another method. */
  readonly nakSent: boolean;
  /** Server proposed these types before agreeing (FreeRADIUS starts with MD5 by default). */
  readonly proposedTypes: readonly number[];
}

/** Method-specific findings, merged into the login result. */
export interface MethodReport {
  /** MS-CHAPv2 and EAP-MSCHAPv2: the server's "S=" authenticator response verified. */
  readonly msChap2SuccessVerified?: boolean;
  readonly msChapError?: MsChapErrorReport;
  readonly mppeKeys?: MppeKeysReport;
  readonly eap?: EapReport;
}

/** Attributes of the next Access-Request, built per datagram (CHAP may key on its authenticator). */
export type CredentialAttributes = (authenticator: Buffer) => AttributeInput[];

export type MethodVerdict =
  | { readonly ok: true; readonly report: MethodReport }
  | { readonly ok: false; readonly error: LoginError; readonly report: MethodReport };
