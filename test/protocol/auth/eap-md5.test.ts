import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeEap } from '../../../protocol/auth/eap.ts';
import {
  buildMd5Challenge,
  buildMd5Response,
  md5ChallengeResponse,
  parseMd5TypeData,
  verifyMd5Response,
} from '../../../protocol/auth/eap-md5.ts';
import known from '../../vectors/eap-md5-known-answers.json' with { type: 'json' };

const hex = (text: string) => Buffer.from(text, 'hex');
const challenge = hex(known.challenge);

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
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(typeof parseMd5TypeData(Buffer.from(bytes)).ok).toBe('boolean');
        expect(typeof verifyMd5Response(Buffer.from(bytes), 1, 'p', challenge)).toBe('boolean');
      }),
    );
  });
});
