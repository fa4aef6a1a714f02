import fc from 'fast-check';
import { sampleInputs } from '../support/input-sample.ts';
import radius from 'radius';
import { describe, expect, it } from 'vitest';
import {
  PacketCode,
  RADIUS_HEADER_LENGTH,
  RADIUS_MAX_PACKET_LENGTH,
  buildRequest,
  buildResponse,
  decodeAndVerifyRequest,
  decodeAttributes,
  decodeFailureReasons,
  decodePacket,
  defaultDictionary,
  encodePacket,
  packetCodeLabel,
  verifyResponse,
  type AttributeInput,
  type AttributeValue,
  type Mutation,
  type ResolvedAttribute,
  applyMutations,
} from '../../protocol/index.ts';
import { bufferToIpv6 } from '../../protocol/ip.ts';
import { expectClosedFailure } from '../support/decode-results.ts';

// fast-check 4 draws lengths up to about 10 unless an arbitrary sets `size`: maxLength alone only
// caps them. Every length range below that matters to a property says `size: 'max'`, so the whole
// range is drawn; the distribution test at the end checks that it is.

// Values that survive a round trip unchanged, per dictionary data type.
function valueArbitrary(attr: ResolvedAttribute): fc.Arbitrary<AttributeValue> {
  switch (attr.dataType) {
    case 'string':
      return fc
        .string({ maxLength: 60, size: 'max' })
        .filter((s) => !(attr.tagged === true && s.length > 0 && s.charCodeAt(0) <= 0x1f));
    case 'octets':
    case 'vsa':
      return fc.uint8Array({ maxLength: 60, size: 'max' }).map((a) => Buffer.from(a));
    case 'integer':
      return attr.tagged === true
        ? fc.integer({ min: 0, max: 0xffffff })
        : fc.integer({ min: 0, max: 0xffffffff });
    case 'integer64':
      return fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
    case 'ipaddr':
      return fc.ipV4();
    case 'ipv6addr':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => bufferToIpv6(Buffer.from(a)));
    case 'ipv6prefix':
      return fc
        .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
        .map(([bytes, length]) => {
          // Only the octets the prefix length covers travel; the rest must be zero to compare.
          const kept = Buffer.alloc(16);
          Buffer.from(bytes)
            .subarray(0, Math.ceil(length / 8))
            .copy(kept);
          return `${bufferToIpv6(kept)}/${length}`;
        });
    case 'ifid':
      return fc
        .uint8Array({ minLength: 8, maxLength: 8 })
        .map((a) => (Buffer.from(a).toString('hex').match(/.{4}/g) ?? []).join(':'));
    case 'date':
      return fc.integer({ min: 0, max: 0xffffffff }).map((s) => new Date(s * 1000));
  }
}

const encodable = defaultDictionary
  .all()
  .filter(
    (attr) => attr.dataType !== 'vsa' && attr.name !== 'Message-Authenticator' && attr.name !== 'EAP-Message',
  );

const attributeInput: fc.Arbitrary<AttributeInput> = fc
  .constantFrom(...encodable)
  .chain((attr) =>
    fc.record({
      name: fc.constant(attr.name),
      value:
        attr.encryption === 'user-password'
          ? fc
              .uint8Array({ minLength: 1, maxLength: 64, size: 'max' })
              .map((a) => Buffer.from(a.map((b) => b || 1)))
          : attr.encryption === 'salted'
            ? attr.dataType === 'string'
              ? fc.string({ minLength: 1, maxLength: 40, size: 'max' })
              : fc.uint8Array({ minLength: 1, maxLength: 64, size: 'max' }).map((a) => Buffer.from(a))
            : valueArbitrary(attr),
      tag: fc.constant(attr.tagged === true ? 1 : 0),
    }),
  )
  .map(({ name, value, tag }) => (tag === 0 ? { name, value } : { name, value, tag }));

function normalise(value: AttributeValue): unknown {
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** An attribute as framed on the wire: any Type, any value, and now and then a Length that lies. */
const rawAttribute = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  value: fc.uint8Array({ maxLength: 120, size: 'max' }),
  length: fc.oneof(
    { weight: 49, arbitrary: fc.constant(undefined) },
    // Below 2 is its own failure (RFC 2865 5); the rest mostly run past the packet.
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 255 })) },
  ),
});

/**
 * Datagrams that get past the header: a known (or any) code, attributes framed by their Length, a
 * Length field that is usually right, and trailing padding. Uniform random bytes almost never do:
 * their Length field is above 4096 or past the datagram in nearly every draw.
 */
const framedDatagram = fc
  .record({
    code: fc.oneof(fc.constantFrom(...Object.values(PacketCode)), fc.integer({ min: 0, max: 255 })),
    identifier: fc.integer({ min: 0, max: 255 }),
    authenticator: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    attributes: fc.array(rawAttribute, { maxLength: 40, size: 'max' }),
    lengthDelta: fc.oneof(
      { weight: 4, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: -30, max: 30 }) },
    ),
    padding: fc.uint8Array({ maxLength: 30, size: 'max' }),
  })
  .map(({ code, identifier, authenticator, attributes, lengthDelta, padding }) => {
    const framed = attributes.map(({ type, value, length }) =>
      Buffer.concat([Buffer.from([type, length ?? value.length + 2]), value]),
    );
    const length = RADIUS_HEADER_LENGTH + framed.reduce((sum, attr) => sum + attr.length, 0);
    const header = Buffer.alloc(4);
    header.writeUInt8(code, 0);
    header.writeUInt8(identifier, 1);
    header.writeUInt16BE(Math.min(0xffff, Math.max(0, length + lengthDelta)), 2);
    return Buffer.concat([header, authenticator, ...framed, padding]);
  });

/** Any bytes, up to the 4096-octet maximum and past it. */
const datagram = fc.oneof(
  fc.uint8Array({ maxLength: 4200, size: 'max' }).map((a) => Buffer.from(a)),
  framedDatagram,
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), length: fc.integer({ min: 0, max: 120 }) }),
  fc.record({
    kind: fc.constant('set-length-field' as const),
    length: fc.integer({ min: 0, max: 5000 }),
  }),
  fc.record({ kind: fc.constant('append-garbage' as const), octets: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ kind: fc.constant('set-code' as const), code: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('set-attribute-length' as const),
    index: fc.integer({ min: 0, max: 5 }),
    length: fc.integer({ min: 0, max: 255 }),
  }),
  fc.constant({ kind: 'flip-authenticator-bit' as const }),
  fc.constant({ kind: 'flip-message-authenticator-bit' as const }),
  fc.constant({ kind: 'strip-message-authenticator' as const }),
  fc.record({
    kind: fc.constant('raw-attribute' as const),
    type: fc.integer({ min: 0, max: 255 }),
    value: fc.uint8Array({ maxLength: 300, size: 'max' }).map((a) => Buffer.from(a)),
  }),
);

const DAMAGE_SECRET = 's';

/** A signed Access-Request (Message-Authenticator first) and the same packet after `mutations`. */
const damagedRequest = fc
  .tuple(
    fc.array(attributeInput, { maxLength: 6, size: 'max' }),
    fc.array(mutation, { minLength: 1, maxLength: 4, size: 'max' }),
  )
  .map(([inputs, mutations]) => {
    const built = buildRequest({
      code: PacketCode.AccessRequest,
      identifier: 5,
      secret: DAMAGE_SECRET,
      attributes: inputs,
    });
    return { original: built.bytes, damaged: applyMutations(built.bytes, mutations), mutations };
  });

/**
 * Message-Authenticator and Length cover octets 0..Length of the packet; anything after is padding
 * (RFC 2865 3). The damage left nothing to detect when those octets are still the original packet.
 */
function authenticatedRegionIntact(original: Buffer, damaged: Buffer): boolean {
  return damaged.length >= original.length && damaged.subarray(0, original.length).equals(original);
}

const codecRoundTripRuns = 300;
const decodeFuzzRuns = 2000;
const damageRuns = 1000;

describe('codec properties', () => {
  it('encode then decode gives back every attribute of every dictionary type', () => {
    fc.assert(
      fc.property(
        fc.array(attributeInput, { maxLength: 12, size: 'max' }),
        fc.string({ minLength: 1, maxLength: 20, size: 'max' }),
        (inputs, secret) => {
          const built = buildRequest({
            code: PacketCode.AccessRequest,
            identifier: 1,
            secret,
            attributes: inputs,
          });
          const decoded = decodePacket(built.bytes);
          expect(decoded.ok).toBe(true);
          if (!decoded.ok) return;
          const attrs = decodeAttributes(decoded.value.attributes, {
            secret,
            requestAuthenticator: built.packet.authenticator,
          }).slice(1); // Message-Authenticator first
          expect(attrs.map((a) => [a.name, normalise(a.value), a.tag ?? 0])).toEqual(
            inputs.map((i) => {
              const spec = defaultDictionary.byNameOrUndefined(i.name);
              const value =
                typeof i.value === 'string' && spec?.dataType === 'integer'
                  ? spec.values?.[i.value]
                  : i.value;
              const asWire =
                spec?.dataType === 'octets' && typeof value === 'string' ? Buffer.from(value) : value;
              return [spec?.name, normalise(asWire as AttributeValue), i.tag ?? 0];
            }),
          );
        },
      ),
      { numRuns: codecRoundTripRuns },
    );
  });

  it('decode never throws on arbitrary bytes: a closed-list code, or a packet that encodes back', () => {
    fc.assert(
      fc.property(datagram, (bytes) => {
        const result = decodePacket(bytes);
        if (!result.ok) {
          expectClosedFailure(result, decodeFailureReasons);
          return;
        }
        // What decoded is exactly the octets the Length field covers; the rest was padding.
        expect(encodePacket(result.value).equals(bytes.subarray(0, bytes.readUInt16BE(2)))).toBe(true);
        decodeAttributes(result.value.attributes, { secret: 'x', requestAuthenticator: Buffer.alloc(16) });
      }),
      { numRuns: decodeFuzzRuns },
    );
  });

  it('decode never throws on damaged valid packets, and damage is reported as a code', () => {
    fc.assert(
      fc.property(damagedRequest, ({ original, damaged }) => {
        const result = decodeAndVerifyRequest(damaged, DAMAGE_SECRET, { requireMessageAuthenticator: true });
        if (!result.ok) expectClosedFailure(result, decodeFailureReasons);
        if (authenticatedRegionIntact(original, damaged)) {
          // Damage past Length is padding (RFC 2865 3): the packet must still be accepted.
          expect(result.ok).toBe(true);
        } else {
          // Damage inside the authenticated region is always detected; a code changed to a reply code
          // is refused as unexpected-code.
          expect(result.ok).toBe(false);
        }
      }),
      { numRuns: damageRuns },
    );
  });

  it('a Response Authenticator verifies with the right secret only', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 32, size: 'max' }),
        fc.string({ minLength: 1, maxLength: 32, size: 'max' }),
        fc.constantFrom(PacketCode.AccessAccept, PacketCode.AccessReject, PacketCode.AccessChallenge),
        fc.array(attributeInput, { maxLength: 5, size: 'max' }),
        (secret, other, code, inputs) => {
          fc.pre(secret !== other);
          const request = buildRequest({
            code: PacketCode.AccessRequest,
            identifier: 9,
            secret,
            attributes: [],
          });
          const reply = buildResponse({ code, request: request.packet, secret, attributes: inputs });
          const decoded = decodePacket(reply.bytes);
          if (!decoded.ok) throw new Error(decoded.message);
          expect(verifyResponse(reply.bytes, decoded.value, request.packet.authenticator, secret).ok).toBe(
            true,
          );
          expect(verifyResponse(reply.bytes, decoded.value, request.packet.authenticator, other).ok).toBe(
            false,
          );
          const otherRequest = Buffer.from(request.packet.authenticator);
          otherRequest[0] = (otherRequest[0] ?? 0) ^ 1;
          expect(verifyResponse(reply.bytes, decoded.value, otherRequest, secret).ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

// The npm `radius` package is the ecosystem's established codec; on valid packets both must agree.
// It loads only RFC dictionaries and keeps module-global state, so it is used here and nowhere else.
describe('differential: radmfa decode agrees with the npm radius package', () => {
  const oracleTypes = new Set(['string', 'integer', 'ipaddr', 'date', 'octets']);
  const comparable = encodable.filter(
    (attr) =>
      attr.vendorId === undefined &&
      oracleTypes.has(attr.dataType) &&
      attr.tagged !== true &&
      attr.encryption === undefined,
  );
  const input = fc
    .constantFrom(...comparable)
    .chain((attr) => valueArbitrary(attr).map((value): AttributeInput => ({ name: attr.name, value })));

  it('on codes, identifiers, raw attributes, and values for attributes both dictionaries know', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(PacketCode.AccessRequest, PacketCode.AccountingRequest, PacketCode.StatusServer),
        fc.integer({ min: 0, max: 255 }),
        fc.array(input, { maxLength: 10, size: 'max' }),
        fc.string({ minLength: 1, maxLength: 16, size: 'max' }),
        (code, identifier, inputs, secret) => {
          const built = buildRequest({
            code,
            identifier,
            secret,
            attributes: code === PacketCode.StatusServer ? [] : inputs,
          });
          // radius.decode also checks our Request Authenticator and Message-Authenticator: it throws if wrong.
          const theirs = radius.decode({ packet: built.bytes, secret });
          const ours = decodePacket(built.bytes);
          if (!ours.ok) throw new Error(ours.message);
          expect(theirs.code).toBe(packetCodeLabel(code));
          expect(theirs.identifier).toBe(identifier);
          expect(theirs.raw_attributes.map(([t, v]) => [t, v.toString('hex')])).toEqual(
            ours.value.attributes.map((a) => [a.type, a.value.toString('hex')]),
          );
          for (const attr of decodeAttributes(ours.value.attributes)) {
            const spec = defaultDictionary.standard(attr.type);
            const theirValue = theirs.attributes[attr.name];
            if (theirValue === undefined || spec === undefined || Array.isArray(theirValue)) continue;
            // Where the two dictionaries type an attribute differently (string vs octets), only the raw
            // octets compared above are meaningful.
            if (Buffer.isBuffer(attr.value) !== Buffer.isBuffer(theirValue)) continue;
            if (typeof attr.value === 'number' && typeof theirValue === 'string') {
              // Their dictionary names this number (Login-TCP-Port 23 is "Telnet" there; RFC 2865's
              // "ISDN Sync" is "ISDN"): compare where ours has the same name; the octets were compared above.
              const named = spec.values?.[theirValue];
              if (named !== undefined) expect(named).toBe(attr.value);
            } else {
              expect(normalise(theirValue as AttributeValue)).toEqual(normalise(attr.value));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('on replies: radius verifies the Response Authenticator and the first-placed Message-Authenticator', () => {
    fc.assert(
      fc.property(
        fc.array(input, { maxLength: 6, size: 'max' }),
        fc.string({ minLength: 1, maxLength: 16, size: 'max' }),
        (inputs, secret) => {
          const request = buildRequest({
            code: PacketCode.AccessRequest,
            identifier: 4,
            secret,
            attributes: [],
          });
          const reply = buildResponse({
            code: PacketCode.AccessAccept,
            request: request.packet,
            secret,
            attributes: inputs,
          });
          expect(
            radius.verify_response({ request: request.bytes, response: Buffer.from(reply.bytes), secret }),
          ).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

// The properties above are only as strong as their inputs: fast-check 4 keeps them at ~10 elements
// unless `size` is set. This checks, on samples of the same arbitraries, that the inputs reach the
// regions the titles name.
describe('property inputs reach what the titles promise', () => {
  it('decode fuzz: datagrams past 4096 octets, packets that decode, and most failure codes', () => {
    const samples = sampleInputs(datagram, decodeFuzzRuns);
    const results = samples.map((bytes) => decodePacket(bytes));
    const decoded = results.filter((r) => r.ok).length;
    const codes = new Set(results.flatMap((r) => (r.ok ? [] : [r.code])));
    expect(Math.max(...samples.map((bytes) => bytes.length))).toBeGreaterThan(RADIUS_MAX_PACKET_LENGTH);
    expect(decoded).toBeGreaterThan(decodeFuzzRuns / 20);
    expect(
      samples.filter((bytes, i) => results[i]?.ok === true && bytes.length > 1000).length,
    ).toBeGreaterThan(0);
    for (const code of [
      'too-short',
      'too-long',
      'length-mismatch',
      'unknown-code',
      'attribute-truncated',
      'attribute-length-invalid',
      'message-authenticator-length',
    ]) {
      expect(codes, code).toContain(code);
    }
  });

  it('damage: undetectable padding and detected damage both occur, with several codes', () => {
    const samples = sampleInputs(damagedRequest, damageRuns);
    const intact = samples.filter(({ original, damaged }) => authenticatedRegionIntact(original, damaged));
    expect(intact.length).toBeGreaterThan(damageRuns / 50);
    expect(samples.length - intact.length).toBeGreaterThan(damageRuns / 2);
    const codes = new Set(
      samples.flatMap(({ damaged }) => {
        const r = decodeAndVerifyRequest(damaged, DAMAGE_SECRET, { requireMessageAuthenticator: true });
        return r.ok ? [] : [r.code];
      }),
    );
    expect(codes.size).toBeGreaterThanOrEqual(6);
    expect(Math.max(...samples.map(({ mutations }) => mutations.length))).toBe(4);
  });

  it('round trip: packets with 12 attributes and long values', () => {
    const samples = sampleInputs(
      fc.array(attributeInput, { maxLength: 12, size: 'max' }),
      codecRoundTripRuns,
    );
    expect(samples.filter((inputs) => inputs.length > 10).length).toBeGreaterThan(0);
    const valueLengths = samples
      .flat()
      .map(({ value }) => (typeof value === 'string' || Buffer.isBuffer(value) ? value.length : 0));
    expect(Math.max(...valueLengths)).toBeGreaterThan(40);
  });
});
