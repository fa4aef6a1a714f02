// A closed list of the ways a datagram can fail to be a RADIUS packet, with one reason each, so a
// server can count drops by reason and a report can explain them.

export type DecodeFailureCode =
  | 'too-short'
  | 'too-long'
  | 'length-mismatch'
  | 'unknown-code'
  | 'unexpected-code'
  | 'attribute-truncated'
  | 'attribute-length-invalid'
  | 'message-authenticator-length'
  | 'message-authenticator-duplicated'
  | 'message-authenticator-missing'
  | 'message-authenticator-invalid'
  | 'authenticator-invalid'
  | 'eap-without-message-authenticator'
  | 'proxy-state-without-message-authenticator';

export const decodeFailureReasons: Readonly<Record<DecodeFailureCode, string>> = {
  'too-short': 'datagram shorter than the 20-octet RADIUS header (RFC 2865 3)',
  'too-long': 'Length field above the 4096-octet maximum (RFC 2865 3)',
  'length-mismatch': 'Length field below 20 or larger than the datagram (RFC 2865 3: silently discard)',
  'unknown-code': 'packet code not defined by RFC 2865, 2866, 5176 or 5997',
  'unexpected-code':
    'packet code is not a request (a reply such as Access-Accept, or Status-Client) where a request was expected',
  'attribute-truncated': 'attribute header or value runs past the end of the packet',
  'attribute-length-invalid': 'attribute Length below 2 (RFC 2865 5)',
  'message-authenticator-length': 'Message-Authenticator is not 16 octets (RFC 3579 3.2)',
  'message-authenticator-duplicated': 'more than one Message-Authenticator (RFC 3579 3.2 allows one)',
  'message-authenticator-missing':
    'Message-Authenticator required by policy but absent (RFC 3579, Blast-RADIUS)',
  'message-authenticator-invalid': 'Message-Authenticator does not verify with this shared secret',
  'authenticator-invalid': 'Request or Response Authenticator does not verify with this shared secret',
  'eap-without-message-authenticator': 'EAP-Message without Message-Authenticator (RFC 3579 3.3: discard)',
  'proxy-state-without-message-authenticator':
    'Access-Request with Proxy-State but no Message-Authenticator, refused by limitProxyState (Blast-RADIUS)',
};

export type Result<T, E extends string = DecodeFailureCode> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: E; readonly message: string };

export function fail<E extends DecodeFailureCode>(
  code: E,
  detail?: string,
): { ok: false; code: E; message: string } {
  const reason = decodeFailureReasons[code];
  return { ok: false, code, message: detail === undefined ? reason : `${reason}: ${detail}` };
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}
