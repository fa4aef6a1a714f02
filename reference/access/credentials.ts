import {
  parseMsChap2Response,
  parseMsChapChallenge,
  parseMsChapResponse,
  type MsChap2Response,
  type MsChapResponse,
} from '../../protocol/auth/index.ts';
import {
  EAP_MESSAGE_TYPE,
  attributeValue,
  joinedValue,
  type DecodedAttribute,
  type RadiusPacket,
} from '../../protocol/index.ts';
import type { AuthMethod } from '../methods.ts';

/** What an Access-Request proves the user knows, by method (the method follows from the attributes). */
export type Credentials =
  | { readonly method: 'pap'; readonly password: Buffer }
  | { readonly method: 'chap'; readonly chapPassword: Buffer; readonly challenge: Buffer }
  | { readonly method: 'mschap'; readonly challenge: Buffer; readonly response: MsChapResponse }
  | { readonly method: 'mschapv2'; readonly challenge: Buffer; readonly response: MsChap2Response }
  | { readonly method: 'eap'; readonly eapMessage: Buffer }
  | { readonly method: 'none'; readonly detail: string };

function octets(attrs: readonly DecodedAttribute[], name: string): Buffer | undefined {
  const value = attributeValue(attrs, name);
  return Buffer.isBuffer(value) ? value : undefined;
}

export function credentialsOf(packet: RadiusPacket, attrs: readonly DecodedAttribute[]): Credentials {
  const eap = joinedValue(packet.attributes, EAP_MESSAGE_TYPE);
  if (eap !== undefined) return { method: 'eap', eapMessage: eap };
  const password = octets(attrs, 'User-Password');
  if (password !== undefined) return { method: 'pap', password };
  const chapPassword = octets(attrs, 'CHAP-Password');
  if (chapPassword !== undefined) {
    // RFC 2865 5.3: without CHAP-Challenge the Request Authenticator is the challenge.
    return {
      method: 'chap',
      chapPassword,
      challenge: octets(attrs, 'CHAP-Challenge') ?? packet.authenticator,
    };
  }
  const msChallenge = octets(attrs, 'MS-CHAP-Challenge');
  const ms2 = octets(attrs, 'MS-CHAP2-Response');
  const ms1 = octets(attrs, 'MS-CHAP-Response');
  if (msChallenge !== undefined && (ms2 !== undefined || ms1 !== undefined)) {
    const challenge = parseMsChapChallenge(msChallenge);
    if (!challenge.ok) return { method: 'none', detail: challenge.message };
    if (ms2 !== undefined) {
      const response = parseMsChap2Response(ms2);
      if (!response.ok || challenge.value.version !== 2)
        return { method: 'none', detail: 'malformed MS-CHAP2-Response or challenge' };
      return { method: 'mschapv2', challenge: challenge.value.challenge, response: response.value };
    }
    const response = parseMsChapResponse(ms1 ?? Buffer.alloc(0));
    if (!response.ok || challenge.value.version !== 1)
      return { method: 'none', detail: 'malformed MS-CHAP-Response or challenge' };
    return { method: 'mschap', challenge: challenge.value.challenge, response: response.value };
  }
  return { method: 'none', detail: 'no User-Password, CHAP-Password, MS-CHAP or EAP-Message attribute' };
}

export function methodOf(credentials: Credentials): AuthMethod | undefined {
  switch (credentials.method) {
    case 'pap':
    case 'chap':
    case 'mschap':
    case 'mschapv2':
      return credentials.method;
    case 'eap':
    case 'none':
      return undefined;
  }
}
