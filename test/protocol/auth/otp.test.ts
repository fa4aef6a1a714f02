import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  base32Decode,
  base32Encode,
  hotp,
  totp,
  totpCounter,
  verifyHotp,
  verifyTotp,
  type OtpAlgorithm,
} from '../../../protocol/auth/otp.ts';
import rfc4226 from '../../vectors/rfc4226.json' with { type: 'json' };
import rfc6238 from '../../vectors/rfc6238.json' with { type: 'json' };

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
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = base32Encode(Buffer.from(bytes));
        const decoded = base32Decode(text.toLowerCase().replace(/(.{4})/g, '$1 '));
        expect(decoded.ok && decoded.value.equals(Buffer.from(bytes))).toBe(true);
      }),
    );
    const bad = base32Decode('MZXW1');
    expect(bad.ok ? 'ok' : bad.code).toBe('base32-invalid');
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(typeof base32Decode(text).ok).toBe('boolean');
      }),
    );
  });
});
