import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { md4 } from '../../../protocol/auth/md4.ts';
import { desEncryptBlock, expandDesKey } from '../../../protocol/auth/des.ts';
import rfc1320 from '../../vectors/rfc1320-md4.json' with { type: 'json' };

describe('md4', () => {
  it.each(rfc1320.vectors)('RFC 1320 A.5: MD4("$input")', ({ input, md4: expected }) => {
    expect(md4(Buffer.from(input, 'ascii')).toString('hex')).toBe(expected);
  });

  it('hashes a Buffer that is a view into a larger ArrayBuffer by its own bytes only', () => {
    const backing = Buffer.from('xxabcxx', 'ascii');
    expect(md4(backing.subarray(2, 5)).toString('hex')).toBe('a448017aaf21d8525fc10ae87aa6729d');
  });
});

describe('single DES (table-driven, FIPS 46-3)', () => {
  it('encrypts the classic FIPS 46 example (key 133457799BBCDFF1) from its 56-bit seed', () => {
    // Seed = the key with its 8 parity bits dropped (computed apart in Python); the answer was
    // checked with `openssl enc -des-ecb -provider legacy`.
    const seed = Buffer.from('12695bc9b7b7f8', 'hex');
    const block = Buffer.from('0123456789abcdef', 'hex');
    expect(desEncryptBlock(seed, block).toString('hex')).toBe('85e813540f0ab405');
  });

  it('expands a 7-octet seed to 8 octets of odd parity that keep the seed bits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 7, maxLength: 7 }), (seed) => {
        const key = expandDesKey(seed);
        expect(key.length).toBe(8);
        let bits = '';
        for (const octet of key) {
          const binary = octet.toString(2).padStart(8, '0');
          expect([...binary].filter((b) => b === '1').length % 2).toBe(1);
          bits += binary.slice(0, 7);
        }
        expect(bits).toBe([...seed].map((o) => o.toString(2).padStart(8, '0')).join(''));
      }),
    );
  });

  it('agrees with OpenSSL (3DES-EDE with one key three times is single DES) on random keys and blocks', () => {
    const openssl = (seed: Uint8Array, block: Uint8Array): string => {
      const key = expandDesKey(seed);
      const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
      cipher.setAutoPadding(false);
      return Buffer.concat([cipher.update(block), cipher.final()]).toString('hex');
    };
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 7, maxLength: 7 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (seed, block) => {
          expect(desEncryptBlock(seed, block).toString('hex')).toBe(openssl(seed, block));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses seeds and blocks of the wrong size', () => {
    expect(() => desEncryptBlock(Buffer.alloc(8), Buffer.alloc(8))).toThrow(/ERR_AUTH_BAD_LENGTH/);
    expect(() => desEncryptBlock(Buffer.alloc(7), Buffer.alloc(9))).toThrow(/ERR_AUTH_BAD_LENGTH/);
  });
});
