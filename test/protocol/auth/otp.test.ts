import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sampleInputs } from '../../support/input-sample.ts';
import {
  base32Decode,
  base32Encode,
  base32FailureReasons,
  hotp,
  totp,
  totpCounter,
  verifyHotp,
  verifyTotp,
  type OtpAlgorithm,
} from '../../../protocol/auth/otp.ts';
import rfc4226 from '../../vectors/rfc4226.json' with { type: 'json' };
import rfc6238 from '../../vectors/rfc6238.json' with { type: 'json' };
import { expectClosedFailure } from '../../support/decode-results.ts';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const base32RoundTripRuns = 100;
const base32FuzzRuns = 500;

// Secrets of authenticator apps are 10 to 64 octets; fast-check 4 stays near 10 without `size`.
const secretBytes = fc.uint8Array({ maxLength: 64, size: 'max' }).map((a) => Buffer.from(a));

/**
 * Text a user might paste as a secret: anything, and base32 in either case with spaces, "=" padding
 * and now and then one character from outside the alphabet ("0", "1", "8", "=" in the middle).
 */
const base32Text = fc.oneof(
  fc.string({ maxLength: 60, size: 'max' }),
  fc
    .tuple(
      fc.string({
        unit: fc.constantFrom(...BASE32_ALPHABET, ...BASE32_ALPHABET.toLowerCase(), ' '),
        maxLength: 60,
        size: 'max',
      }),
      fc.string({ unit: fc.constant('='), maxLength: 6 }),
      fc.oneof(
        { weight: 2, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom('0', '1', '8', '9', '=', '-', '_')) },
      ),
    )
    .map(([body, padding, stray]) => {
      const text = body + padding;
      if (stray === null) return text;
      const [at, char] = stray;
      const i = at % (text.length + 1);
      return text.slice(0, i) + char + text.slice(i);
    }),
);

/** RFC 4648 6 decoding, written out: five bits a character, whole octets out, leftover bits dropped. */
function referenceBase32(text: string): Buffer | undefined {
  if (!/^[A-Za-z2-7 ]*=*$/.test(text)) return undefined;
  const digits = text.replace(/[ =]/g, '').toUpperCase();
  const octets: number[] = [];
  let bits = 0;
  let accumulated = 0;
  for (const digit of digits) {
    accumulated = ((accumulated << 5) | BASE32_ALPHABET.indexOf(digit)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      octets.push((accumulated >> bits) & 0xff);
    }
  }
  return Buffer.from(octets);
}

describe('HOTP (RFC 4226 Appendix D)', () => {
  const key = Buffer.from(rfc4226.secretAscii, 'ascii');

  it.each(rfc4226.hotp.map((code, counter) => ({ counter, code })))(
    'counter $counter gives $code',
    ({ counter, code }) => {
      expect(hotp(key, counter)).toBe(code);
    },
  );

  it('reports the matched offset inside the window, and nothing outside it', () => {
    const at = (token: string, counter: number, window: number) => {
      const r = verifyHotp(token, key, counter, { window });
      return r.ok ? r.value.offset : r.code;
    };
    expect(at(rfc4226.hotp[5] ?? '', 5, 0)).toBe(0);
    expect(at(rfc4226.hotp[5] ?? '', 4, 1)).toBe(1);
    expect(at(rfc4226.hotp[5] ?? '', 6, 1)).toBe(-1);
    expect(at(rfc4226.hotp[5] ?? '', 8, 2)).toBe('otp-no-match');
    expect(at(rfc4226.hotp[0] ?? '', 1, 3)).toBe(-1);
    expect(at('75522', 0, 1)).toBe('otp-format');
    expect(at('75522é', 0, 1)).toBe('otp-format');
    expect(at('+55224', 0, 1)).toBe('otp-format');
  });
});

describe('TOTP (RFC 6238 Appendix B)', () => {
  const algorithms: OtpAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];
  const cases = rfc6238.vectors.flatMap((v) =>
    algorithms.map((algorithm) => ({ ...v, algorithm, code: v[algorithm] })),
  );

  it.each(cases)('T=$unixSeconds $algorithm gives $code', (v) => {
    const key = Buffer.from(rfc6238.secretsAscii[v.algorithm], 'ascii');
    const options = { algorithm: v.algorithm, digits: rfc6238.digits, stepSeconds: rfc6238.stepSeconds };
    const timeMs = v.unixSeconds * 1000;
    expect(totpCounter(timeMs, options)).toBe(Number.parseInt(v.counterHex, 16));
    expect(totp(key, timeMs, options)).toBe(v.code);
    const verified = verifyTotp(v.code, key, timeMs, options);
    expect(verified.ok && verified.value.offset).toBe(0);
  });

  it('accepts a code one step late or early within window 1, with its offset', () => {
    const key = Buffer.from(rfc6238.secretsAscii.SHA1, 'ascii');
    const code = totp(key, 1_111_111_111_000);
    const late = verifyTotp(code, key, 1_111_111_111_000 + 30_000);
    const early = verifyTotp(code, key, 1_111_111_111_000 - 30_000);
    const tooLate = verifyTotp(code, key, 1_111_111_111_000 + 60_000);
    expect(late.ok && late.value.offset).toBe(-1);
    expect(early.ok && early.value.offset).toBe(1);
    expect(tooLate.ok ? tooLate.value.offset : tooLate.code).toBe('otp-no-match');
  });

  it('counts steps from T0', () => {
    expect(totpCounter(100_000, { t0Seconds: 40, stepSeconds: 30 })).toBe(2);
    expect(() => totpCounter(10_000, { t0Seconds: 40 })).toThrow(/ERR_AUTH_OTP_PARAMETERS/);
    const key = Buffer.from('k');
    expect(totp(key, 100_000, { t0Seconds: 40 })).toBe(hotp(key, 2));
  });

  it('refuses unsupported parameters', () => {
    const key = Buffer.from('k');
    expect(() => hotp(key, 0, { digits: 5 })).toThrow(/ERR_AUTH_OTP_PARAMETERS/);
    expect(() => hotp(key, -1)).toThrow(/ERR_AUTH_OTP_PARAMETERS/);
    expect(() => verifyHotp('123456', key, 0, { window: 101 })).toThrow(/ERR_AUTH_OTP_PARAMETERS/);
    expect(() => totpCounter(0, { stepSeconds: 0 })).toThrow(/ERR_AUTH_OTP_PARAMETERS/);
  });
});

describe('base32 (RFC 4648)', () => {
  it('encodes the RFC 4648 10 examples without padding', () => {
    const examples: [string, string][] = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, encoded] of examples) {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded);
      const decoded = base32Decode(`${encoded}${'='.repeat((8 - (encoded.length % 8)) % 8)}`);
      expect(decoded.ok && decoded.value.toString()).toBe(plain);
    }
  });

  it('round-trips, ignores case and spaces, and rejects other characters', () => {
    fc.assert(
      fc.property(secretBytes, (bytes) => {
        const text = base32Encode(bytes);
        const decoded = base32Decode(text.toLowerCase().replace(/(.{4})/g, '$1 '));
        expect(decoded.ok && decoded.value.equals(bytes)).toBe(true);
      }),
      { numRuns: base32RoundTripRuns },
    );
    const bad = base32Decode('MZXW1');
    expect(bad.ok ? 'ok' : bad.code).toBe('base32-invalid');
    fc.assert(
      fc.property(base32Text, (text) => {
        const decoded = base32Decode(text);
        const expected = referenceBase32(text);
        if (!decoded.ok) {
          expectClosedFailure(decoded, base32FailureReasons);
          expect(expected, `"${text}" is base32`).toBeUndefined();
          return;
        }
        expect(decoded.value).toEqual(expected);
      }),
      { numRuns: base32FuzzRuns },
    );
  });
});

describe('property inputs reach what the titles promise', () => {
  it('secrets past 10 octets, and pasted text both accepted and rejected', () => {
    const lengths = sampleInputs(secretBytes, base32RoundTripRuns).map((bytes) => bytes.length);
    expect(lengths.filter((n) => n > 20).length).toBeGreaterThan(base32RoundTripRuns / 2);
    const texts = sampleInputs(base32Text, base32FuzzRuns);
    const accepted = texts.filter((text) => base32Decode(text).ok);
    expect(accepted.length).toBeGreaterThan(base32FuzzRuns / 5);
    expect(texts.length - accepted.length).toBeGreaterThan(base32FuzzRuns / 5);
    expect(
      accepted.filter((text) => /[a-z]/.test(text) && / /.test(text) && /=$/.test(text)).length,
    ).toBeGreaterThan(0);
    expect(Math.max(...accepted.map((text) => referenceBase32(text)?.length ?? 0))).toBeGreaterThan(30);
  });
});
