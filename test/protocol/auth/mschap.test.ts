import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  challengeHash,
  checkAuthenticatorResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  hashNtPasswordHash,
  ntChallengeResponseV1,
  ntPasswordHash,
  stripNtDomain,
  verifyNtResponse,
  verifyNtResponseV1,
} from '../../../protocol/auth/mschap.ts';
import rfc2759 from '../../vectors/rfc2759.json' with { type: 'json' };
import rfc2433 from '../../vectors/rfc2433.json' with { type: 'json' };

const hex = (text: string) => Buffer.from(text, 'hex');
const v = {
  auth: hex(rfc2759.authenticatorChallenge),
  peer: hex(rfc2759.peerChallenge),
  hash: hex(rfc2759.passwordHash),
  nt: hex(rfc2759.ntResponse),
};

describe('MS-CHAPv2 (RFC 2759 9.2)', () => {
  it('computes the NT password hash over UTF-16LE', () => {
    expect(Buffer.from(rfc2759.password, 'utf16le').toString('hex')).toBe(rfc2759.passwordUtf16leHex);
    expect(ntPasswordHash(rfc2759.password).toString('hex')).toBe(rfc2759.passwordHash);
    expect(ntPasswordHash(rfc2759.password).toString('hex').toUpperCase()).toBe(
      '44EBBA8D5312B8D611474411F56989AE',
    );
  });

  it('computes PasswordHashHash', () => {
    expect(hashNtPasswordHash(v.hash).toString('hex')).toBe(rfc2759.passwordHashHash);
  });

  it('computes ChallengeHash and the NT-Response', () => {
    expect(challengeHash(v.peer, v.auth, rfc2759.userName).toString('hex')).toBe(rfc2759.challenge);
    expect(generateNtResponse(v.auth, v.peer, rfc2759.userName, v.hash).toString('hex')).toBe(
      rfc2759.ntResponse,
    );
    expect(verifyNtResponse(v.auth, v.peer, rfc2759.userName, v.hash, v.nt)).toBe(true);
    expect(verifyNtResponse(v.auth, v.peer, 'Other', v.hash, v.nt)).toBe(false);
  });

  it('computes the authenticator response, and the peer accepts only that one', () => {
    const response = generateAuthenticatorResponse(v.hash, v.nt, v.peer, v.auth, rfc2759.userName);
    expect(response).toBe('S=407A5589115FD0D6209F510FE9C04566932CDA56');
    expect(response).toBe(rfc2759.authenticatorResponse);
    const check = (received: string) =>
      checkAuthenticatorResponse(v.hash, v.nt, v.peer, v.auth, rfc2759.userName, received);
    expect(check(response)).toBe(true);
    expect(check(response.toLowerCase())).toBe(true);
    expect(check(response.replace('S=40', 'S=41'))).toBe(false);
    expect(check(`${response} M=ok`)).toBe(false);
    expect(check('S=zz7A5589115FD0D6209F510FE9C04566932CDA56')).toBe(false);
    expect(check('')).toBe(false);
  });

  it('hashes "DOMAIN\\\\user" as "user" (RFC 2759 8.2)', () => {
    expect(stripNtDomain('ACME\\User')).toBe('User');
    expect(stripNtDomain('User')).toBe('User');
    expect(stripNtDomain('A\\B\\c')).toBe('B\\c');
    expect(challengeHash(v.peer, v.auth, 'ACME\\User').toString('hex')).toBe(rfc2759.challenge);
    expect(generateNtResponse(v.auth, v.peer, 'ACME\\User', v.hash).toString('hex')).toBe(rfc2759.ntResponse);
  });

  it('refuses inputs of the wrong size', () => {
    expect(() => challengeHash(Buffer.alloc(8), v.auth, 'u')).toThrow(/ERR_AUTH_BAD_LENGTH/);
    expect(() => generateNtResponse(v.auth, v.peer, 'u', Buffer.alloc(15))).toThrow(/ERR_AUTH_BAD_LENGTH/);
  });
});

describe('MS-CHAP v1 (RFC 2433 B.2)', () => {
  it('computes the NT hash and NT challenge response', () => {
    expect(Buffer.from(rfc2433.password, 'utf16le').toString('hex')).toBe(rfc2433.passwordUtf16leHex);
    const hash = ntPasswordHash(rfc2433.password);
    expect(hash.toString('hex')).toBe(rfc2433.passwordHash);
    const response = ntChallengeResponseV1(hex(rfc2433.challenge), hash);
    expect(response.toString('hex')).toBe(rfc2433.ntChallengeResponse);
    expect(verifyNtResponseV1(hex(rfc2433.challenge), hash, response)).toBe(true);
    expect(verifyNtResponseV1(hex(rfc2433.challenge), ntPasswordHash('MyPW'), response)).toBe(false);
  });

  it('a different password never verifies', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20, size: 'max' }),
        fc.string({ maxLength: 20, size: 'max' }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (a, b, c) => {
          fc.pre(a !== b);
          const challenge = Buffer.from(c);
          const response = ntChallengeResponseV1(challenge, ntPasswordHash(a));
          expect(verifyNtResponseV1(challenge, ntPasswordHash(b), response)).toBe(false);
        },
      ),
      { numRuns: 50 },
    );
  });
});
