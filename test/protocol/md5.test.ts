import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import radius from 'radius';
import { describe, expect, it } from 'vitest';
import {
  PacketCode,
  attributeValue,
  buildRequest,
  computeAuthenticator,
  computeMessageAuthenticator,
  decodeAndVerifyRequest,
  decodeAttributes,
  messageAuthenticatorOffset,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
} from '../../protocol/index.ts';
import { hmacMd5, md5, md5SecretBlockInto, signMessageAuthenticatorInPlace } from '../../protocol/md5.ts';
import { pooledRandomBytes, pooledRandomFill } from '../../protocol/random.ts';

// protocol/md5.ts replaces node:crypto on the per-packet path; node:crypto is the oracle here.
// Lengths cross MD5's block boundaries (55/56/64 octets) and the 512-octet mark where the bit
// length needs a second octet; `size: 'max'` draws the whole range.
const octets = (maxLength: number) =>
  fc.uint8Array({ maxLength, size: 'max' }).map((array) => Buffer.from(array));

/** The old computation, on a copy with the field replaced and the value zeroed: the reference. */
function referenceMessageAuthenticator(bytes: Buffer, secret: string, field: Buffer): Buffer {
  const copy = Buffer.from(bytes.subarray(0, bytes.readUInt16BE(2)));
  field.copy(copy, 4);
  const offset = messageAuthenticatorOffset(bytes);
  if (offset >= 0) copy.fill(0, offset, offset + 16);
  return createHmac('md5', secret).update(copy).digest();
}

describe('MD5 and HMAC-MD5 in TypeScript agree with node:crypto', () => {
  it('md5 over any split of any input, across block boundaries', () => {
    fc.assert(
      fc.property(octets(1100), fc.nat({ max: 1100 }), (data, cut) => {
        const at = Math.min(cut, data.length);
        const expected = createHash('md5').update(data).digest();
        expect(md5(data)).toEqual(expected);
        expect(md5(data.subarray(0, at), data.subarray(at))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('hmacMd5 with short, block-sized and long keys (RFC 2104 hashes keys over 64 octets)', () => {
    fc.assert(
      fc.property(octets(100), octets(300), (key, data) => {
        expect(hmacMd5(key, data)).toEqual(createHmac('md5', key).update(data).digest());
        const text = key.toString('hex');
        expect(hmacMd5(text, data)).toEqual(createHmac('md5', text).update(data).digest());
      }),
      { numRuns: 200 },
    );
  });

  it('a Buffer secret changed in place is not served from the key cache', () => {
    const key = Buffer.from('first-secret');
    const data = Buffer.from('packet');
    expect(hmacMd5(key, data)).toEqual(createHmac('md5', 'first-secret').update(data).digest());
    key.write('other-secret');
    expect(hmacMd5(key, data)).toEqual(createHmac('md5', 'other-secret').update(data).digest());
  });

  it('packet authenticators and Message-Authenticators match the copy-and-zero computation', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.array(octets(60), { maxLength: 12, size: 'max' }),
        octets(16).filter((b) => b.length === 16),
        (secret, values, field) => {
          const { bytes } = buildRequest({
            code: PacketCode.AccessRequest,
            identifier: 1,
            secret,
            attributes: values.map((value) => ({ name: 'Class', value })),
          });
          expect(computeMessageAuthenticator(bytes, secret, field)).toEqual(
            referenceMessageAuthenticator(bytes, secret, field),
          );
          const length = bytes.readUInt16BE(2);
          expect(computeAuthenticator(bytes, secret, field)).toEqual(
            createHash('md5')
              .update(bytes.subarray(0, 4))
              .update(field)
              .update(bytes.subarray(20, length))
              .update(secret)
              .digest(),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('verification fails on a wrong secret and on any flipped octet', () => {
    const secret = 'testing123';
    const { bytes } = buildRequest({
      code: PacketCode.AccessRequest,
      identifier: 9,
      secret,
      attributes: [{ name: 'User-Name', value: 'alice' }],
    });
    const field = bytes.subarray(4, 20);
    expect(verifyMessageAuthenticator(bytes, secret, Buffer.from(field))).toBe(true);
    expect(verifyMessageAuthenticator(bytes, 'testing124', Buffer.from(field))).toBe(false);
    // Octets 4..20 are replaced by the argument; header damage may change Length (decode tests).
    for (let i = 20; i < bytes.length; i++) {
      const damaged = Buffer.from(bytes);
      damaged[i] = (damaged[i] ?? 0) ^ 0x01;
      expect(verifyMessageAuthenticator(damaged, secret, Buffer.from(field))).toBe(false);
    }
    const reply = Buffer.from(bytes);
    computeAuthenticator(reply, secret, field).copy(reply, 4);
    expect(verifyResponseAuthenticator(reply, secret, Buffer.from(field))).toBe(true);
    expect(verifyResponseAuthenticator(reply, 'x', Buffer.from(field))).toBe(false);
  });
});

describe('differential: radmfa decodes and verifies what the npm radius package encodes', () => {
  it('Access-Requests with Message-Authenticator last, any user and password', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9.@-]{1,40}$/),
        fc.stringMatching(/^[\x21-\x7e]{1,64}$/),
        fc.stringMatching(/^[a-z0-9]{1,30}$/),
        fc.nat({ max: 255 }),
        (user, password, secret, identifier) => {
          const bytes = radius.encode({
            code: 'Access-Request',
            secret,
            identifier,
            attributes: [
              ['User-Name', user],
              ['User-Password', password],
              ['NAS-Port', 7],
            ],
            add_message_authenticator: true,
          });
          const decoded = decodeAndVerifyRequest(bytes, secret, { requireMessageAuthenticator: true });
          expect(decoded.ok).toBe(true);
          if (!decoded.ok) return;
          expect(decoded.value.identifier).toBe(identifier);
          const attributes = decodeAttributes(decoded.value.attributes, {
            secret,
            requestAuthenticator: decoded.value.authenticator,
          });
          expect(attributeValue(attributes, 'User-Name')).toBe(user);
          expect((attributeValue(attributes, 'User-Password') as Buffer).toString()).toBe(password);
          expect(decodeAndVerifyRequest(bytes, `${secret}x`).ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('in-place hashes for request templates agree with node:crypto', () => {
  it('md5SecretBlockInto is MD5(secret || the 16 octets at start), written at the offset asked for', () => {
    fc.assert(
      fc.property(octets(80), octets(64), fc.nat(48), fc.nat(8), (secret, filler, start, at) => {
        const data = Buffer.concat([filler, Buffer.alloc(64)]);
        const out = Buffer.alloc(32, 0xee);
        md5SecretBlockInto(secret, data, start, out, at);
        const expected = createHash('md5')
          .update(secret)
          .update(data.subarray(start, start + 16))
          .digest();
        expect(out.subarray(at, at + 16).toString('hex')).toBe(expected.toString('hex'));
        // Nothing outside the 16 octets is written.
        expect([...out.subarray(0, at), ...out.subarray(at + 16)].every((b) => b === 0xee)).toBe(true);
      }),
    );
  });

  it('signMessageAuthenticatorInPlace is the RFC 3579 HMAC over the packet with its own authenticator', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 80 }),
        octets(16),
        fc.string(),
        (user, field, secret) => {
          const { bytes } = buildRequest({
            code: PacketCode.AccessRequest,
            identifier: 9,
            attributes: [{ name: 'User-Name', value: user }],
            secret: 'other',
            authenticator: Buffer.concat([field, Buffer.alloc(16)]).subarray(0, 16),
          });
          const offset = messageAuthenticatorOffset(bytes);
          signMessageAuthenticatorInPlace(bytes, secret, offset);
          const expected = referenceMessageAuthenticator(bytes, secret, bytes.subarray(4, 20));
          expect(bytes.subarray(offset, offset + 16).toString('hex')).toBe(expected.toString('hex'));
        },
      ),
    );
  });
});

describe('pooled random octets', () => {
  it('pooledRandomFill writes only the range asked for, fresh octets each time, and refuses ranges outside', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 600; i++) {
      // 600 fills of 16 cross two pool refills (256 per pool).
      const target = Buffer.alloc(40, 0xaa);
      pooledRandomFill(target, 4, 16);
      expect(target.subarray(0, 4).every((b) => b === 0xaa)).toBe(true);
      expect(target.subarray(20).every((b) => b === 0xaa)).toBe(true);
      seen.add(target.subarray(4, 20).toString('hex'));
    }
    expect(seen.size).toBe(600);
    const big = Buffer.alloc(1000);
    pooledRandomFill(big, 0, 1000);
    expect(big.subarray(0, 500).equals(Buffer.alloc(500))).toBe(false);
    expect(() => pooledRandomFill(Buffer.alloc(16), 4, 16)).toThrow(RangeError);
    expect(() => pooledRandomFill(Buffer.alloc(16), -1, 4)).toThrow(RangeError);
  });

  it('hands out independent Buffers of the size asked for, never the same octets twice', () => {
    const seen = new Set<string>();
    const first = pooledRandomBytes(16);
    const snapshot = Buffer.from(first);
    for (let i = 0; i < 2000; i++) {
      const value = pooledRandomBytes(16);
      expect(value.length).toBe(16);
      seen.add(value.toString('hex'));
    }
    // 2000 draws over a refill boundary (the pool holds 256 of them): no repeats, no aliasing.
    expect(seen.size).toBe(2000);
    expect(first).toEqual(snapshot);
    expect(pooledRandomBytes(1000).length).toBe(1000);
  });
});
