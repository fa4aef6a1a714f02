import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeEap,
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
        typeData: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
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
    expect(failureCode(Buffer.from('0305000500', 'hex'))).toBe('eap-success-failure-length');
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = decodeEap(Buffer.from(bytes));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
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
      fc.property(fc.uint8Array({ maxLength: 4000 }), (bytes) => {
        const eap = Buffer.from(bytes);
        const chunks = splitEapMessage(eap);
        expect(chunks.every((c) => c.length <= 253)).toBe(true);
        expect(chunks.slice(0, -1).every((c) => c.length === 253)).toBe(true);
        expect(chunks.length).toBe(Math.max(1, Math.ceil(eap.length / 253)));
        expect(joinEapMessage(chunks).equals(eap)).toBe(true);
      }),
    );
  });

  it('gives one empty value for an empty packet (EAP-Start)', () => {
    expect(splitEapMessage(Buffer.alloc(0)).map((c) => c.length)).toEqual([0]);
    expect(splitEapMessage(Buffer.alloc(506)).map((c) => c.length)).toEqual([253, 253]);
    expect(splitEapMessage(Buffer.alloc(507)).map((c) => c.length)).toEqual([253, 253, 1]);
  });
});
