import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sampleInputs } from '../../support/input-sample.ts';
import {
  decodeEap,
  eapDecodeFailureReasons,
  eapFailure,
  eapIdentityRequest,
  eapIdentityResponse,
  eapNak,
  eapSuccess,
  EapCode,
  EapType,
  encodeEap,
  joinEapMessage,
  splitEapMessage,
  type EapPacket,
} from '../../../protocol/auth/eap.ts';
import { expectClosedFailure } from '../../support/decode-results.ts';

// fast-check 4 draws about 10 elements unless `size` is set; these lengths matter (253-octet
// EAP-Message chunks, Length fields that cover the data or not), so each range says `size: 'max'`.
const fragmentationRuns = 100;
const decodeFuzzRuns = 2000;

/**
 * Octets a peer might send as an EAP packet: anything, and a header whose code is often known and
 * whose Length usually covers exactly the data, followed now and then by link-layer padding.
 */
const eapDatagram = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300, size: 'max' }).map((a) => Buffer.from(a)) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        code: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 255 })),
        identifier: fc.integer({ min: 0, max: 255 }),
        // Sometimes empty: a Request or Response that ends before its Type octet.
        body: fc.oneof(
          { weight: 19, arbitrary: fc.uint8Array({ maxLength: 600, size: 'max' }) },
          { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
        ),
        // Now and then the body's first octet, the Type of a Request or Response, is the invalid 0.
        zeroType: fc.oneof(
          { weight: 9, arbitrary: fc.constant(false) },
          { weight: 1, arbitrary: fc.constant(true) },
        ),
        lengthDelta: fc.oneof(
          { weight: 3, arbitrary: fc.constant(0) },
          { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }) },
        ),
        padding: fc.oneof(
          { weight: 3, arbitrary: fc.constant(new Uint8Array(0)) },
          { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }) },
        ),
      })
      .map(({ code, identifier, body, zeroType, lengthDelta, padding }) => {
        const typed = zeroType && body.length > 0 ? Uint8Array.of(0, ...body.subarray(1)) : body;
        const length = Math.max(0, 4 + typed.length + lengthDelta);
        return Buffer.concat([Buffer.from([code, identifier, length >> 8, length & 0xff]), typed, padding]);
      }),
  },
);
const eapBytes = fc.uint8Array({ maxLength: 4000, size: 'max' }).map((a) => Buffer.from(a));

const failureCode = (bytes: Buffer) => {
  const r = decodeEap(bytes);
  return r.ok ? 'ok' : r.code;
};

describe('EAP packets (RFC 3748 4)', () => {
  it('encodes an Identity Response byte for byte', () => {
    expect(eapIdentityResponse(5, 'bob').toString('hex')).toBe('0205000801626f62');
    expect(eapIdentityRequest(1).toString('hex')).toBe('0101000501');
    expect(eapSuccess(9).toString('hex')).toBe('03090004');
    expect(eapFailure(9).toString('hex')).toBe('04090004');
    expect(eapNak(2, [26, 4]).toString('hex')).toBe('02020007031a04');
  });

  it('decodes what it encodes', () => {
    const packet = fc.oneof(
      fc.record({
        code: fc.constantFrom(EapCode.Request, EapCode.Response),
        identifier: fc.integer({ min: 0, max: 255 }),
        type: fc.integer({ min: 1, max: 255 }),
        typeData: fc.uint8Array({ maxLength: 600, size: 'max' }).map((a) => Buffer.from(a)),
      }),
      fc.record({
        code: fc.constantFrom(EapCode.Success, EapCode.Failure),
        identifier: fc.integer({ min: 0, max: 255 }),
      }),
    ) as fc.Arbitrary<EapPacket>;
    fc.assert(
      fc.property(packet, (p) => {
        const decoded = decodeEap(encodeEap(p));
        expect(decoded.ok).toBe(true);
        if (decoded.ok) expect(decoded.value).toEqual(p);
      }),
    );
  });

  it('ignores octets past the Length field as link-layer padding', () => {
    const decoded = decodeEap(Buffer.from('0205000801626f62ffff', 'hex'));
    expect(decoded.ok && 'typeData' in decoded.value && decoded.value.typeData.toString()).toBe('bob');
  });

  it('names each malformation', () => {
    expect(failureCode(Buffer.from('020500', 'hex'))).toBe('eap-too-short');
    expect(failureCode(Buffer.from('02050003', 'hex'))).toBe('eap-length-below-header');
    expect(failureCode(Buffer.from('0205000901626f62', 'hex'))).toBe('eap-length-exceeds-data');
    expect(failureCode(Buffer.from('05050004', 'hex'))).toBe('eap-unknown-code');
    expect(failureCode(Buffer.from('01050004', 'hex'))).toBe('eap-missing-type');
    // RFC 3748 5: Type 0 is not a method; a Request or Response carrying it is malformed.
    expect(failureCode(Buffer.from('0105000500', 'hex'))).toBe('eap-type-invalid');
    expect(failureCode(Buffer.from('020500060041', 'hex'))).toBe('eap-type-invalid');
    expect(failureCode(Buffer.from('0305000500', 'hex'))).toBe('eap-success-failure-length');
  });

  it('never throws on arbitrary bytes: a closed-list code, or a packet that encodes back', () => {
    fc.assert(
      fc.property(eapDatagram, (bytes) => {
        const r = decodeEap(bytes);
        if (!r.ok) {
          expectClosedFailure(r, eapDecodeFailureReasons);
          return;
        }
        // Exactly the octets the Length field covers were decoded; the rest was padding. Encoding gives
        // them back, which also means no Type 0 got through (the encoder refuses it).
        const length = bytes.readUInt16BE(2);
        expect(encodeEap(r.value).equals(bytes.subarray(0, length))).toBe(true);
      }),
      { numRuns: decodeFuzzRuns },
    );
  });

  it('refuses to encode a packet above 65535 octets', () => {
    const typeData = Buffer.alloc(65531);
    expect(() =>
      encodeEap({ code: EapCode.Request, identifier: 1, type: EapType.MsChapV2, typeData }),
    ).toThrow(/ERR_AUTH_EAP_TOO_LONG/);
  });
});

describe('EAP-Message fragmentation (RFC 3579 3.1)', () => {
  it('splits into 253-octet values and joins back', () => {
    fc.assert(
      fc.property(eapBytes, (eap) => {
        const chunks = splitEapMessage(eap);
        expect(chunks.every((c) => c.length <= 253)).toBe(true);
        expect(chunks.slice(0, -1).every((c) => c.length === 253)).toBe(true);
        expect(chunks.length).toBe(Math.max(1, Math.ceil(eap.length / 253)));
        expect(joinEapMessage(chunks).equals(eap)).toBe(true);
      }),
      { numRuns: fragmentationRuns },
    );
  });

  it('gives one empty value for an empty packet (EAP-Start)', () => {
    expect(splitEapMessage(Buffer.alloc(0)).map((c) => c.length)).toEqual([0]);
    expect(splitEapMessage(Buffer.alloc(506)).map((c) => c.length)).toEqual([253, 253]);
    expect(splitEapMessage(Buffer.alloc(507)).map((c) => c.length)).toEqual([253, 253, 1]);
  });
});

describe('property inputs reach what the titles promise', () => {
  it('EAP packets long enough to split, and a fuzz that decodes and fails every way', () => {
    const lengths = sampleInputs(eapBytes, fragmentationRuns).map((eap) => eap.length);
    expect(lengths.filter((n) => n > 2 * 253).length).toBeGreaterThan(fragmentationRuns / 2);
    const results = sampleInputs(eapDatagram, decodeFuzzRuns).map((bytes) => decodeEap(bytes));
    const outcomes = new Set(results.map((r) => (r.ok ? 'ok' : r.code)));
    expect([...outcomes].sort()).toEqual(['ok', ...Object.keys(eapDecodeFailureReasons)].sort());
    const longDecoded = results.filter((r) => r.ok && 'typeData' in r.value && r.value.typeData.length > 253);
    expect(longDecoded.length).toBeGreaterThan(decodeFuzzRuns / 20);
  });
});
