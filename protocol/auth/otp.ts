// HOTP (RFC 4226) and TOTP (RFC 6238) over the `otpauth` package. A maintained, widely used
// library computes the codes (dynamic truncation is easy to get subtly wrong); this wrapper adds
// what radmfa needs on top: Buffers for secrets, an explicit time argument (protocol/ reads no
// clock), T0, a bounded verification window that reports the matched step offset, and checks
// that reject a token before comparing (otpauth's compare throws on multi-byte input).
import { HOTP, Secret } from 'otpauth';
import { AuthInputError } from './errors.ts';
import { equalBytes } from './bytes.ts';
import { failWith, ok, type Result } from './result.ts';

export type OtpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface HotpOptions {
  /** Default SHA1, the RFC 4226 algorithm. */
  readonly algorithm?: OtpAlgorithm;
  /** 6 to 8 digits (RFC 4226 5.3 asks for at least 6); default 6. */
  readonly digits?: number;
}

export interface TotpOptions extends HotpOptions {
  /** Time step X in seconds (RFC 6238 4.1); default 30. */
  readonly stepSeconds?: number;
  /** T0, the Unix time in seconds counting starts from; default 0. */
  readonly t0Seconds?: number;
}

export interface WindowOptions {
  /** Steps checked on each side of the expected counter; default 1, at most 100. */
  readonly window?: number;
}

export interface OtpMatch {
  /** Matched counter minus expected counter: 0 on time, -1 one step late, +1 one step early. */
  readonly offset: number;
  readonly counter: number;
}

export const MAX_OTP_WINDOW = 100;

interface Normalised {
  readonly algorithm: OtpAlgorithm;
  readonly digits: number;
}

function normalise(options: HotpOptions): Normalised {
  const algorithm = options.algorithm ?? 'SHA1';
  const digits = options.digits ?? 6;
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) {
    throw new AuthInputError('ERR_AUTH_OTP_PARAMETERS', `digits must be 6, 7 or 8, got ${digits}`);
  }
  return { algorithm, digits };
}

function requireCounter(counter: number): void {
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new AuthInputError(
      'ERR_AUTH_OTP_PARAMETERS',
      `counter must be a non-negative safe integer, got ${counter}`,
    );
  }
}

function toSecret(key: Buffer): Secret {
  // otpauth wraps the ArrayBuffer whole, so hand it a copy rather than a view into a shared pool.
  const copy = new Uint8Array(key.length);
  copy.set(key);
  return new Secret({ buffer: copy.buffer });
}

function generate(secret: Secret, counter: number, n: Normalised): string {
  return HOTP.generate({ secret, algorithm: n.algorithm, digits: n.digits, counter });
}

export function hotp(key: Buffer, counter: number, options: HotpOptions = {}): string {
  requireCounter(counter);
  return generate(toSecret(key), counter, normalise(options));
}

function windowSize(options: WindowOptions): number {
  const window = options.window ?? 1;
  if (!Number.isInteger(window) || window < 0 || window > MAX_OTP_WINDOW) {
    throw new AuthInputError('ERR_AUTH_OTP_PARAMETERS', `window must be an integer in 0..${MAX_OTP_WINDOW}`);
  }
  return window;
}

export type OtpFailureCode = 'otp-format' | 'otp-no-match';

export const otpFailureReasons: Readonly<Record<OtpFailureCode, string>> = {
  'otp-format': 'code is not the configured number of ASCII digits',
  'otp-no-match': 'code matches no counter inside the verification window',
};

/**
 * Looks for the token at the expected counter first, then at -1, +1, -2, +2, ... up to the window,
 * skipping negative counters. Comparison is constant-time per candidate.
 */
function search(
  token: string,
  key: Buffer,
  expected: number,
  options: HotpOptions & WindowOptions,
): Result<OtpMatch, OtpFailureCode> {
  const n = normalise(options);
  const window = windowSize(options);
  if (token.length !== n.digits || !/^[0-9]+$/.test(token)) return failWith(otpFailureReasons, 'otp-format');
  const secret = toSecret(key);
  const given = Buffer.from(token, 'ascii');
  const offsets = [0];
  for (let i = 1; i <= window; i++) offsets.push(-i, i);
  for (const offset of offsets) {
    const counter = expected + offset;
    if (counter < 0 || !Number.isSafeInteger(counter)) continue;
    if (equalBytes(given, Buffer.from(generate(secret, counter, n), 'ascii'))) return ok({ offset, counter });
  }
  return failWith(otpFailureReasons, 'otp-no-match');
}

export function verifyHotp(
  token: string,
  key: Buffer,
  counter: number,
  options: HotpOptions & WindowOptions = {},
): Result<OtpMatch, OtpFailureCode> {
  requireCounter(counter);
  return search(token, key, counter, options);
}

/** RFC 6238 4.2: T = floor((unixSeconds - T0) / X). `timeMs` is milliseconds since the Unix epoch. */
export function totpCounter(timeMs: number, options: TotpOptions = {}): number {
  const step = options.stepSeconds ?? 30;
  const t0 = options.t0Seconds ?? 0;
  if (!Number.isInteger(step) || step <= 0) {
    throw new AuthInputError(
      'ERR_AUTH_OTP_PARAMETERS',
      `stepSeconds must be a positive integer, got ${step}`,
    );
  }
  if (!Number.isInteger(t0))
    throw new AuthInputError('ERR_AUTH_OTP_PARAMETERS', `t0Seconds must be an integer`);
  const seconds = Math.floor(timeMs / 1000);
  if (!Number.isSafeInteger(seconds) || seconds < t0) {
    throw new AuthInputError(
      'ERR_AUTH_OTP_PARAMETERS',
      `time ${timeMs} ms is before T0 or not a finite time`,
    );
  }
  return Math.floor((seconds - t0) / step);
}

export function totp(key: Buffer, timeMs: number, options: TotpOptions = {}): string {
  return hotp(key, totpCounter(timeMs, options), options);
}

export function verifyTotp(
  token: string,
  key: Buffer,
  timeMs: number,
  options: TotpOptions & WindowOptions = {},
): Result<OtpMatch, OtpFailureCode> {
  return search(token, key, totpCounter(timeMs, options), options);
}

export type Base32FailureCode = 'base32-invalid';

export const base32FailureReasons: Readonly<Record<Base32FailureCode, string>> = {
  'base32-invalid': 'not RFC 4648 base32 (A-Z, 2-7; spaces and trailing "=" allowed)',
};

/** RFC 4648 base32 without padding, the form otpauth:// URIs and authenticator apps use. */
export function base32Encode(data: Buffer): string {
  return toSecret(data).base32;
}

/** Case-insensitive; spaces and "=" padding are ignored, as authenticator apps do. */
export function base32Decode(text: string): Result<Buffer, Base32FailureCode> {
  if (!/^[A-Za-z2-7 ]*=*$/.test(text)) return failWith(base32FailureReasons, 'base32-invalid');
  try {
    return ok(Buffer.from(Secret.fromBase32(text).bytes));
  } catch {
    return failWith(base32FailureReasons, 'base32-invalid');
  }
}
