import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sampleInputs } from '../../support/input-sample.ts';
import { decodeEap } from '../../../protocol/auth/eap.ts';
import {
  buildMd5Challenge,
  buildMd5Response,
  encodeMd5TypeData,
  md5ChallengeResponse,
  md5FailureReasons,
  parseMd5TypeData,
  verifyMd5Response,
} from '../../../protocol/auth/eap-md5.ts';
import { expectClosedFailure } from '../../support/decode-results.ts';
import known from '../../vectors/eap-md5-known-answers.json' with { type: 'json' };

const hex = (text: string) => Buffer.from(text, 'hex');
const challenge = hex(known.challenge);
const FUZZ_IDENTIFIER = 1;
const FUZZ_PASSWORD = 'p';
const rightResponse = md5ChallengeResponse(FUZZ_IDENTIFIER, FUZZ_PASSWORD, challenge);
const fuzzRuns = 500;

/**
 * Type-Data a peer might send: any octets; a well-formed Value-Size, Value and Name; and the right
 * response to `challenge` under another name. `size: 'max'`, since fast-check 4 otherwise stays near
 * 10 octets, below the 16 of a real response.
 */
// Uniform bytes rarely start with Value-Size 0 (1 in 256) or are empty, so the short shapes get a
// branch of their own: without it 500 samples miss a failure code about half the time.
const md5TypeData = fc.oneof(
  fc.uint8Array({ maxLength: 64, size: 'max' }).map((a) => Buffer.from(a)),
  fc
    .tuple(fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 3, size: 'max' }), fc.boolean())
    .map(([size, rest, empty]) => (empty ? Buffer.alloc(0) : Buffer.from([size, ...rest]))),
  fc
    .tuple(
      fc.uint8Array({ minLength: 1, maxLength: 255, size: 'max' }),
      fc.uint8Array({ maxLength: 40, size: 'max' }),
    )
    .map(([value, name]) => encodeMd5TypeData(Buffer.from(value), Buffer.from(name))),
  fc
    .uint8Array({ maxLength: 40, size: 'max' })
    .map((name) => encodeMd5TypeData(rightResponse, Buffer.from(name))),
);

/** The failure Type-Data must get from its shape (RFC 3748 5.4, RFC 1994 4.1), if any. */
function expectedMd5Failure(typeData: Buffer): string | undefined {
  if (typeData.length === 0) return 'md5-empty';
  const size = typeData[0] ?? 0;
  if (size === 0) return 'md5-value-size-zero';
  if (1 + size > typeData.length) return 'md5-value-truncated';
  return undefined;
}

describe('EAP-MD5-Challenge (RFC 3748 5.4)', () => {
  it('matches the openssl-computed response value and the hand-built packets', () => {
    expect(md5ChallengeResponse(known.identifier, known.password, challenge).toString('hex')).toBe(
      known.responseValue,
    );
    expect(buildMd5Challenge(known.identifier, challenge, known.serverName).toString('hex')).toBe(
      known.challengePacket,
    );
    expect(
      buildMd5Response(known.identifier, known.password, challenge, known.peerName).toString('hex'),
    ).toBe(known.responsePacket);
  });

  it('lets the server verify the response it receives', () => {
    const packet = decodeEap(hex(known.responsePacket));
    expect(packet.ok && 'typeData' in packet.value).toBe(true);
    if (!packet.ok || !('typeData' in packet.value)) return;
    const typeData = packet.value.typeData;
    expect(verifyMd5Response(typeData, known.identifier, known.password, challenge)).toBe(true);
    expect(verifyMd5Response(typeData, known.identifier + 1, known.password, challenge)).toBe(false);
    expect(verifyMd5Response(typeData, known.identifier, 'Password', challenge)).toBe(false);
    const parsed = parseMd5TypeData(typeData);
    expect(parsed.ok && parsed.value.name.toString()).toBe(known.peerName);
  });

  it('names malformed Type-Data and never throws', () => {
    const code = (bytes: Buffer) => {
      const r = parseMd5TypeData(bytes);
      return r.ok ? 'ok' : r.code;
    };
    expect(code(Buffer.alloc(0))).toBe('md5-empty');
    expect(code(hex('00'))).toBe('md5-value-size-zero');
    expect(code(hex('100102'))).toBe('md5-value-truncated');
    fc.assert(
      fc.property(md5TypeData, (bytes) => {
        const parsed = parseMd5TypeData(bytes);
        const verified = verifyMd5Response(bytes, FUZZ_IDENTIFIER, FUZZ_PASSWORD, challenge);
        if (!parsed.ok) {
          expectClosedFailure(parsed, md5FailureReasons);
          expect(parsed.code).toBe(expectedMd5Failure(bytes));
          expect(verified).toBe(false);
          return;
        }
        expect(expectedMd5Failure(bytes)).toBeUndefined();
        expect(encodeMd5TypeData(parsed.value.value, parsed.value.name)).toEqual(bytes);
        // Accepted exactly when the Value is MD5(Identifier || password || challenge), whatever the Name.
        expect(verified).toBe(parsed.value.value.equals(rightResponse));
      }),
      { numRuns: fuzzRuns },
    );
  });
});

describe('property inputs reach what the titles promise', () => {
  it('the Type-Data fuzz parses, fails every way, and carries right responses', () => {
    const samples = sampleInputs(md5TypeData, fuzzRuns);
    const outcomes = new Set(
      samples.map((bytes) => {
        const r = parseMd5TypeData(bytes);
        return r.ok ? 'ok' : r.code;
      }),
    );
    expect([...outcomes].sort()).toEqual(['ok', ...Object.keys(md5FailureReasons)].sort());
    const accepted = samples.filter((bytes) =>
      verifyMd5Response(bytes, FUZZ_IDENTIFIER, FUZZ_PASSWORD, challenge),
    );
    expect(accepted.length).toBeGreaterThan(fuzzRuns / 10);
  });
});
