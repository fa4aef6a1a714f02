import fc from 'fast-check';
import radius from 'radius';
import { describe, expect, it } from 'vitest';
import {
  PacketCode,
  buildRequest,
  buildResponse,
  decodeAndVerifyRequest,
  decodeAttributes,
  decodePacket,
  defaultDictionary,
  packetCodeLabel,
  verifyResponse,
  type AttributeInput,
  type AttributeValue,
  type Mutation,
  type ResolvedAttribute,
  applyMutations,
} from '../../protocol/index.ts';
import { bufferToIpv6 } from '../../protocol/ip.ts';

// Values that survive a round trip unchanged, per dictionary data type.
function valueArbitrary(attr: ResolvedAttribute): fc.Arbitrary<AttributeValue> {
  switch (attr.dataType) {
    case 'string':
      return fc
        .string({ maxLength: 60 })
        .filter((s) => !(attr.tagged === true && s.length > 0 && s.charCodeAt(0) <= 0x1f));
    case 'octets':
    case 'vsa':
      return fc.uint8Array({ maxLength: 60 }).map((a) => Buffer.from(a));
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
          ? fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.from(a.map((b) => b || 1)))
          : attr.encryption === 'salted'
            ? attr.dataType === 'string'
              ? fc.string({ minLength: 1, maxLength: 40 })
              : fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.from(a))
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

describe('codec properties', () => {
  it('encode then decode gives back every attribute of every dictionary type', () => {
    fc.assert(
      fc.property(
        fc.array(attributeInput, { maxLength: 12 }),
        fc.string({ minLength: 1, maxLength: 20 }),
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
      { numRuns: 300 },
    );
  });

  it('decode never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4200 }), (bytes) => {
        const result = decodePacket(Buffer.from(bytes));
        if (result.ok)
          decodeAttributes(result.value.attributes, { secret: 'x', requestAuthenticator: Buffer.alloc(16) });
      }),
      { numRuns: 2000 },
    );
  });

  it('decode never throws on damaged valid packets, and damage is reported as a code', () => {
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
        value: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(attributeInput, { maxLength: 6 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (inputs, mutations) => {
          const built = buildRequest({
            code: PacketCode.AccessRequest,
            identifier: 5,
            secret: 's',
            attributes: inputs,
          });
          const damaged = applyMutations(built.bytes, mutations);
          const result = decodeAndVerifyRequest(damaged, 's', { requireMessageAuthenticator: true });
          if (!result.ok) expect(typeof result.code).toBe('string');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a Response Authenticator verifies with the right secret only', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 32 }),
        fc.string({ minLength: 1, maxLength: 32 }),
        fc.constantFrom(PacketCode.AccessAccept, PacketCode.AccessReject, PacketCode.AccessChallenge),
        fc.array(attributeInput, { maxLength: 5 }),
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
        fc.array(input, { maxLength: 10 }),
        fc.string({ minLength: 1, maxLength: 16 }),
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
        fc.array(input, { maxLength: 6 }),
        fc.string({ minLength: 1, maxLength: 16 }),
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
