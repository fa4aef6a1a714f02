import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  chapResponse,
  decodeChapPassword,
  encodeChapPassword,
  verifyChapPassword,
} from '../../../protocol/auth/chap.ts';
import known from '../../vectors/chap-known-answers.json' with { type: 'json' };

const hex = (text: string) => Buffer.from(text, 'hex');

describe('CHAP (RFC 1994, RFC 2865 5.3)', () => {
  it.each(known.vectors)('matches the openssl-computed answer: $description', (v) => {
    const response = chapResponse(v.chapId, v.password, hex(v.challenge));
    expect(response.toString('hex')).toBe(v.response);
    expect(encodeChapPassword(v.chapId, response).toString('hex')).toBe(v.chapPassword);
    expect(verifyChapPassword(hex(v.chapPassword), hex(v.challenge), v.password)).toBe(true);
    expect(verifyChapPassword(hex(v.chapPassword), hex(v.challenge), `${v.password}x`)).toBe(false);
  });

  it('verifies only with the same identifier, password and challenge', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.string({ minLength: 1, maxLength: 40, size: 'max' }),
        fc.uint8Array({ minLength: 1, maxLength: 64, size: 'max' }).map((a) => Buffer.from(a)),
        (id, password, challenge) => {
          const value = encodeChapPassword(id, chapResponse(id, password, challenge));
          expect(verifyChapPassword(value, challenge, password)).toBe(true);
          const otherId = Buffer.from(value);
          otherId[0] = (id + 1) & 0xff;
          expect(verifyChapPassword(otherId, challenge, password)).toBe(false);
          expect(verifyChapPassword(value, Buffer.concat([challenge, Buffer.from([1])]), password)).toBe(
            false,
          );
        },
      ),
    );
  });

  it('rejects CHAP-Password values that are not 17 octets', () => {
    const short = decodeChapPassword(Buffer.alloc(16));
    expect(short.ok ? 'ok' : short.code).toBe('chap-password-length');
    expect(verifyChapPassword(Buffer.alloc(18), Buffer.alloc(16), 'p')).toBe(false);
    expect(() => chapResponse(256, 'p', Buffer.alloc(16))).toThrow(/ERR_AUTH_BAD_FIELD/);
  });
});
