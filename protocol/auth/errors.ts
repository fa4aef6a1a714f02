// Thrown only when the caller passes arguments no protocol allows (a 15-octet authenticator, a
// 200-octet PAP password). Bytes received from a peer are never reported by throwing: their decoders
// return a Result with a closed failure code instead.

export type AuthInputErrorCode =
  | 'ERR_AUTH_PASSWORD_TOO_LONG'
  | 'ERR_AUTH_PLAINTEXT_TOO_LONG'
  | 'ERR_AUTH_BAD_AUTHENTICATOR'
  | 'ERR_AUTH_BAD_SALT'
  | 'ERR_AUTH_BAD_LENGTH'
  | 'ERR_AUTH_BAD_FIELD'
  | 'ERR_AUTH_EAP_TOO_LONG'
  | 'ERR_AUTH_OTP_PARAMETERS';

export class AuthInputError extends Error {
  override readonly name = 'AuthInputError';
  readonly code: AuthInputErrorCode;

  constructor(code: AuthInputErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

/** Throws ERR_AUTH_BAD_LENGTH unless `value` has exactly `length` octets. */
export function requireLength(what: string, value: Uint8Array, length: number): void {
  if (value.length !== length) {
    throw new AuthInputError('ERR_AUTH_BAD_LENGTH', `${what} must be ${length} octets, got ${value.length}`);
  }
}

/** Throws ERR_AUTH_BAD_FIELD unless `value` is an integer within [min, max]. */
export function requireOctetRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AuthInputError(
      'ERR_AUTH_BAD_FIELD',
      `${what} must be an integer in ${min}..${max}, got ${value}`,
    );
  }
}
