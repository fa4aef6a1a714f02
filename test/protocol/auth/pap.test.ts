import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  hideUserPassword,
  isValidSalt,
  revealUserPassword,
  saltDecrypt,
  saltEncrypt,
  saltFromRandom,
} from '../../../protocol/auth/pap.ts';
import { AuthInputError } from '../../../protocol/auth/errors.ts';
import known from '../../vectors/pap-known-answers.json' with { type: 'json' };

const hex = (text: string) => Buffer.from(text, 'hex');
const authenticator = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a));
const secret = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.from(a));
/** Passwords whose last octet is not NUL: NUL padding cannot be told apart from trailing NULs. */
const password = (min: number, max: number) =>
  fc
    .uint8Array({ minLength: min, maxLength: max })
    .map((a) => Buffer.from(a))
    .filter((p) => p.length === 0 || p[p.length - 1] !== 0);
const salt = fc.uint8Array({ minLength: 2, maxLength: 2 }).map((r) => saltFromRandom(r));

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
      fc.property(fc.uint8Array({ maxLength: 239 }), secret, authenticator, salt, (plain, s, a, sa) => {
        const value = saltEncrypt(Buffer.from(plain), s, a, sa);
        expect(value.subarray(0, 2).equals(sa)).toBe(true);
        expect((value.length - 2) % 16).toBe(0);
        const decrypted = saltDecrypt(value, s, a);
        expect(decrypted.ok && decrypted.value.equals(Buffer.from(plain))).toBe(true);
      }),
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
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = saltDecrypt(Buffer.from(bytes), 's', ra);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });
});
