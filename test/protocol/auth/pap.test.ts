import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sampleInputs } from '../../support/input-sample.ts';
import {
  MAX_SALT_ENCRYPTED_LENGTH,
  MAX_SALT_PLAINTEXT_LENGTH,
  hideUserPassword,
  isValidSalt,
  revealUserPassword,
  saltDecrypt,
  saltDecryptFailureReasons,
  saltEncrypt,
  saltFromRandom,
} from '../../../protocol/auth/pap.ts';
import { AuthInputError } from '../../../protocol/auth/errors.ts';
import { expectClosedFailure } from '../../support/decode-results.ts';
import known from '../../vectors/pap-known-answers.json' with { type: 'json' };

// Lengths matter here (one 16-octet block or several, the 128- and 239-octet limits), and fast-check 4
// draws about 10 elements unless `size` is set: every ranged arbitrary says `size: 'max'`.
const hex = (text: string) => Buffer.from(text, 'hex');
const authenticator = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a));
const secret = fc.uint8Array({ minLength: 1, maxLength: 64, size: 'max' }).map((a) => Buffer.from(a));
/** Passwords whose last octet is not NUL: NUL padding cannot be told apart from trailing NULs. */
const password = (min: number, max: number) =>
  fc
    .uint8Array({ minLength: min, maxLength: max, size: 'max' })
    .map((a) => Buffer.from(a))
    .filter((p) => p.length === 0 || p[p.length - 1] !== 0);
const salt = fc.uint8Array({ minLength: 2, maxLength: 2 }).map((r) => saltFromRandom(r));
const saltPlaintext = fc
  .uint8Array({ maxLength: MAX_SALT_PLAINTEXT_LENGTH, size: 'max' })
  .map((a) => Buffer.from(a));
/**
 * Values a peer might send as salt-encrypted: any bytes, and Salt || whole blocks (the shape that
 * gets past the length checks to the decryption), 1 to 16 blocks so the 240-octet limit is crossed.
 */
const saltedValue = fc.oneof(
  fc.uint8Array({ maxLength: 300, size: 'max' }).map((a) => Buffer.from(a)),
  fc
    .tuple(fc.uint8Array({ minLength: 2, maxLength: 2 }), fc.integer({ min: 1, max: 16 }))
    .chain(([s, blocks]) =>
      fc
        .uint8Array({ minLength: blocks * 16, maxLength: blocks * 16 })
        .map((cipher) => Buffer.concat([Buffer.from(s), Buffer.from(cipher)])),
    ),
);
const wrongPasswordRuns = 100;
const saltRoundTripRuns = 100;
const saltedFuzzRuns = 1000;

describe('User-Password hiding (RFC 2865 5.2)', () => {
  const ra = hex(known.requestAuthenticator);

  it.each(known.userPassword)('matches the independently computed value for "$password"', (v) => {
    expect(hideUserPassword(v.password, known.secret, ra).toString('hex')).toBe(v.hidden);
    const revealed = revealUserPassword(hex(v.hidden), known.secret, ra);
    expect(revealed.ok && revealed.value.toString('utf8')).toBe(v.password);
  });

  it('round-trips every length 1..128 with random secrets and authenticators', () => {
    for (let length = 1; length <= 128; length++) {
      fc.assert(
        fc.property(password(length, length), secret, authenticator, (p, s, a) => {
          const hidden = hideUserPassword(p, s, a);
          expect(hidden.length).toBe(Math.ceil(length / 16) * 16);
          const revealed = revealUserPassword(hidden, s, a);
          expect(revealed.ok && revealed.value.equals(p)).toBe(true);
        }),
        { numRuns: 20 },
      );
    }
  });

  it('does not give the password back under a different secret', () => {
    fc.assert(
      fc.property(password(1, 128), secret, secret, authenticator, (p, right, wrong, a) => {
        fc.pre(!right.equals(wrong));
        const revealed = revealUserPassword(hideUserPassword(p, right, a), wrong, a);
        expect(revealed.ok && revealed.value.equals(p)).toBe(false);
      }),
      { numRuns: wrongPasswordRuns },
    );
  });

  it('hides an empty password as one block of padding', () => {
    const hidden = hideUserPassword('', 'x', Buffer.alloc(16));
    expect(hidden.length).toBe(16);
    const revealed = revealUserPassword(hidden, 'x', Buffer.alloc(16));
    expect(revealed.ok && revealed.value.length).toBe(0);
  });

  it('refuses passwords longer than 128 octets with a typed error', () => {
    let caught: unknown;
    try {
      hideUserPassword(Buffer.alloc(129, 0x41), 's', Buffer.alloc(16));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AuthInputError);
    expect((caught as AuthInputError).code).toBe('ERR_AUTH_PASSWORD_TOO_LONG');
    expect(() => hideUserPassword('p', 's', Buffer.alloc(15))).toThrow(/ERR_AUTH_BAD_AUTHENTICATOR/);
  });

  it('reports malformed hidden values by code', () => {
    const ra = Buffer.alloc(16);
    const code = (value: Buffer) => {
      const r = revealUserPassword(value, 's', ra);
      return r.ok ? 'ok' : r.code;
    };
    expect(code(Buffer.alloc(0))).toBe('hidden-password-empty');
    expect(code(Buffer.alloc(17))).toBe('hidden-password-not-block-multiple');
    expect(code(Buffer.alloc(144))).toBe('hidden-password-too-long');
    expect(code(Buffer.alloc(128))).toBe('ok');
  });
});

describe('salt encryption (RFC 2868 3.5, RFC 2548 2.4.2)', () => {
  it.each(known.saltEncrypted)('matches the independently computed value', (v) => {
    const ra = hex(known.requestAuthenticator);
    expect(saltEncrypt(hex(v.plain), known.secret, ra, hex(v.salt)).toString('hex')).toBe(v.value);
    const decrypted = saltDecrypt(hex(v.value), known.secret, ra);
    expect(decrypted.ok && decrypted.value.toString('hex')).toBe(v.plain);
  });

  it('round-trips any data up to 239 octets, trailing NULs included', () => {
    fc.assert(
      fc.property(saltPlaintext, secret, authenticator, salt, (plain, s, a, sa) => {
        const value = saltEncrypt(plain, s, a, sa);
        expect(value.subarray(0, 2).equals(sa)).toBe(true);
        // One length octet, the data, zero padding to the block (RFC 2868 3.5).
        expect(value.length - 2).toBe(Math.ceil((plain.length + 1) / 16) * 16);
        const decrypted = saltDecrypt(value, s, a);
        expect(decrypted.ok && decrypted.value.equals(plain)).toBe(true);
      }),
      { numRuns: saltRoundTripRuns },
    );
  });

  it('does not give the data back under a different secret', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        secret,
        secret,
        authenticator,
        salt,
        (k, s1, s2, a, sa) => {
          fc.pre(!s1.equals(s2));
          const decrypted = saltDecrypt(saltEncrypt(Buffer.from(k), s1, a, sa), s2, a);
          expect(decrypted.ok && decrypted.value.equals(Buffer.from(k))).toBe(false);
        },
      ),
    );
  });

  it('insists on a salt with the high bit set, and on data that fits an attribute', () => {
    expect(isValidSalt(hex('8000'))).toBe(true);
    expect(isValidSalt(hex('7fff'))).toBe(false);
    expect(saltFromRandom(hex('0102')).toString('hex')).toBe('8102');
    const ra = Buffer.alloc(16);
    expect(() => saltEncrypt(Buffer.alloc(16), 's', ra, hex('0001'))).toThrow(/ERR_AUTH_BAD_SALT/);
    expect(() => saltEncrypt(Buffer.alloc(240), 's', ra, hex('8001'))).toThrow(/ERR_AUTH_PLAINTEXT_TOO_LONG/);
  });

  it('reports malformed values by code and never throws on them', () => {
    const ra = Buffer.alloc(16);
    const code = (value: Buffer) => {
      const r = saltDecrypt(value, 's', ra);
      return r.ok ? 'ok' : r.code;
    };
    expect(code(Buffer.alloc(17))).toBe('salted-too-short');
    expect(code(Buffer.concat([hex('8001'), Buffer.alloc(17)]))).toBe('salted-not-block-multiple');
    expect(code(Buffer.concat([hex('8001'), Buffer.alloc(256)]))).toBe('salted-too-long');
    expect(code(Buffer.concat([hex('0001'), Buffer.alloc(16)]))).toBe('salt-high-bit-clear');
    fc.assert(
      fc.property(saltedValue, secret, (value, s) => {
        const r = saltDecrypt(value, s, ra);
        const structural = structuralSaltedFailure(value);
        if (!r.ok) {
          expectClosedFailure(r, saltDecryptFailureReasons);
          // Only the length octet needs decrypting to judge; every other failure shows in the shape.
          expect(r.code).toBe(structural ?? 'salted-length-octet-too-large');
          return;
        }
        expect(structural).toBeUndefined();
        // Encrypting the data again under the same salt gives back the octets that carried the length
        // octet and the data; only the padding after them may differ from what was sent.
        const covered = 2 + 1 + r.value.length;
        expect(saltEncrypt(r.value, s, ra, value.subarray(0, 2)).subarray(0, covered)).toEqual(
          value.subarray(0, covered),
        );
      }),
      { numRuns: saltedFuzzRuns },
    );
  });
});

/** The failure a salt-encrypted value must get from its shape alone (RFC 2868 3.5), if any. */
function structuralSaltedFailure(value: Buffer): string | undefined {
  if (value.length < 2 + 16) return 'salted-too-short';
  if ((value.length - 2) % 16 !== 0) return 'salted-not-block-multiple';
  if (value.length - 2 > MAX_SALT_ENCRYPTED_LENGTH) return 'salted-too-long';
  if (!isValidSalt(value.subarray(0, 2))) return 'salt-high-bit-clear';
  return undefined;
}

describe('property inputs reach what the titles promise', () => {
  it('passwords and salted data span several blocks; the fuzz reaches every outcome', () => {
    const passwords = sampleInputs(password(1, 128), wrongPasswordRuns).map((p) => p.length);
    expect(passwords.filter((n) => n > 16).length).toBeGreaterThan(wrongPasswordRuns / 2);
    expect(Math.max(...passwords)).toBeGreaterThan(112);
    const plains = sampleInputs(saltPlaintext, saltRoundTripRuns).map((p) => p.length);
    expect(plains.filter((n) => n > 16).length).toBeGreaterThan(saltRoundTripRuns / 2);
    expect(Math.max(...plains)).toBeGreaterThan(200);
    const outcomes = new Set(
      sampleInputs(saltedValue, saltedFuzzRuns).map((value) => {
        const r = saltDecrypt(value, 's', Buffer.alloc(16));
        return r.ok ? 'ok' : r.code;
      }),
    );
    expect([...outcomes].sort()).toEqual(['ok', ...Object.keys(saltDecryptFailureReasons)].sort());
  });
});
