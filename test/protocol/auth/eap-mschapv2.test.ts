import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sampleInputs } from '../../support/input-sample.ts';
import { decodeEap, EapCode, EapType } from '../../../protocol/auth/eap.ts';
import {
  buildEapMsChapV2Request,
  buildEapMsChapV2Response,
  decodeMsChapV2PeerMessage,
  decodeMsChapV2ServerMessage,
  encodeMsChapV2PeerMessage,
  encodeMsChapV2ServerMessage,
  msChapV2DecodeFailureReasons,
} from '../../../protocol/auth/eap-mschapv2.ts';
import { messageFailureReasons } from '../../../protocol/auth/mschap-messages.ts';
import {
  checkAuthenticatorResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  ntPasswordHash,
  verifyNtResponse,
} from '../../../protocol/auth/mschap.ts';
import rfc2759 from '../../vectors/rfc2759.json' with { type: 'json' };
import { expectClosedFailure } from '../../support/decode-results.ts';

const hex = (text: string) => Buffer.from(text, 'hex');
const authChallenge = hex(rfc2759.authenticatorChallenge);
const peerChallenge = hex(rfc2759.peerChallenge);

const typeDataFuzzRuns = 2000;

/** OpCode, MS-CHAPv2-ID and an MS-Length that is usually right, before `body`. */
function framedTypeData(op: number, id: number, body: Uint8Array, lengthDelta: number): Buffer {
  const length = Math.max(0, 4 + body.length + lengthDelta);
  return Buffer.concat([Buffer.from([op, id, length >> 8, length & 0xff]), body]);
}

/**
 * Type-Data a peer or server might send: any octets; framed bodies of any content; Challenge and
 * Response bodies with a Value-Size of 16 or 49 and a name; and Success and Failure texts. Lengths
 * use `size: 'max'`: fast-check 4 otherwise stays near 10 octets, short of a 49-octet Response value.
 */
const msChapV2TypeData = fc.oneof(
  fc.uint8Array({ maxLength: 120, size: 'max' }).map((a) => Buffer.from(a)),
  fc.constantFrom(Buffer.from([3]), Buffer.from([4])),
  fc
    .tuple(
      fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 8 })),
      fc.integer({ min: 0, max: 255 }),
      fc.oneof(
        fc.uint8Array({ maxLength: 120, size: 'max' }),
        fc
          .tuple(
            fc.constantFrom(16, 49),
            fc.boolean(),
            fc.string({ unit: 'grapheme', maxLength: 40, size: 'max' }),
          )
          .chain(([valueSize, whole, name]) =>
            fc
              .uint8Array({ minLength: valueSize, maxLength: valueSize })
              .map((value) =>
                whole
                  ? Buffer.concat([Buffer.from([valueSize]), value, Buffer.from(name, 'utf8')])
                  : Buffer.concat([Buffer.from([valueSize]), value.subarray(0, valueSize - 1)]),
              ),
          ),
        fc
          .tuple(fc.stringMatching(/^[0-9A-F]{40}$/), fc.option(fc.string({ maxLength: 40, size: 'max' })))
          .map(([digits, message]) =>
            Buffer.from(`S=${digits}${message === null ? '' : ` M=${message}`}`, 'utf8'),
          ),
        fc
          .tuple(
            fc.integer({ min: 0, max: 9999 }),
            fc.boolean(),
            fc.option(fc.string({ maxLength: 40, size: 'max' })),
          )
          .map(([e, retry, message]) =>
            Buffer.from(
              `E=${e} R=${retry ? 1 : 0} C=00112233445566778899AABBCCDDEEFF V=3${message === null ? '' : ` M=${message}`}`,
            ),
          ),
      ),
      fc.oneof(
        { weight: 4, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) },
      ),
    )
    .map(([op, id, body, lengthDelta]) => framedTypeData(op, id, body, lengthDelta)),
);

function typeDataOf(eap: Buffer): Buffer {
  const decoded = decodeEap(eap);
  if (!decoded.ok || !('typeData' in decoded.value))
    throw new Error('test setup: not an EAP Request/Response');
  expect(decoded.value.type).toBe(EapType.MsChapV2);
  return decoded.value.typeData;
}

describe('EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02)', () => {
  it('lays out the server Challenge: OpCode, ID, MS-Length, Value-Size 16, challenge, name', () => {
    const eap = buildEapMsChapV2Request(3, {
      op: 'challenge',
      msChapV2Id: 3,
      challenge: authChallenge,
      name: 'srv',
    });
    // EAP Length 4 + 1 + 24 = 29; MS-Length = 4 + 1 + 16 + 3 ("srv") = 24.
    expect(eap.toString('hex')).toBe(`0103001d1a0103001810${rfc2759.authenticatorChallenge}737276`);
  });

  it('lays out the peer Response: Value-Size 49, Peer-Challenge, 8 reserved, NT-Response, Flags, name', () => {
    const typeData = encodeMsChapV2PeerMessage({
      op: 'response',
      msChapV2Id: 3,
      peerChallenge,
      ntResponse: hex(rfc2759.ntResponse),
      flags: 0,
      name: 'User',
    });
    expect(typeData.toString('hex')).toBe(
      `0203003a31${rfc2759.peerChallenge}${'00'.repeat(8)}${rfc2759.ntResponse}0055736572`,
    );
    expect(encodeMsChapV2PeerMessage({ op: 'success-ack' }).toString('hex')).toBe('03');
    expect(encodeMsChapV2PeerMessage({ op: 'failure-ack' }).toString('hex')).toBe('04');
  });

  it('runs a whole exchange with the RFC 2759 example, both sides decoding what the other built', () => {
    const ntHash = ntPasswordHash(rfc2759.password);
    // Server -> peer: Challenge.
    const challengeEap = buildEapMsChapV2Request(7, {
      op: 'challenge',
      msChapV2Id: 7,
      challenge: authChallenge,
      name: 'radmfa',
    });
    const challenge = decodeMsChapV2ServerMessage(typeDataOf(challengeEap));
    expect(challenge.ok && challenge.value.op).toBe('challenge');
    if (!challenge.ok || challenge.value.op !== 'challenge') return;
    expect(challenge.value.name).toBe('radmfa');

    // Peer -> server: Response, user name with a domain that the ChallengeHash leaves out.
    const ntResponse = generateNtResponse(challenge.value.challenge, peerChallenge, 'CORP\\User', ntHash);
    expect(ntResponse.toString('hex')).toBe(rfc2759.ntResponse);
    const responseEap = buildEapMsChapV2Response(7, {
      op: 'response',
      msChapV2Id: challenge.value.msChapV2Id,
      peerChallenge,
      ntResponse,
      flags: 0,
      name: 'CORP\\User',
    });
    const response = decodeMsChapV2PeerMessage(typeDataOf(responseEap));
    expect(response.ok && response.value.op).toBe('response');
    if (!response.ok || response.value.op !== 'response') return;
    expect(response.value.name).toBe('CORP\\User');
    expect(
      verifyNtResponse(
        authChallenge,
        response.value.peerChallenge,
        response.value.name,
        ntHash,
        response.value.ntResponse,
      ),
    ).toBe(true);

    // Server -> peer: Success with the authenticator response.
    const authenticatorResponse = generateAuthenticatorResponse(
      ntHash,
      ntResponse,
      peerChallenge,
      authChallenge,
      'User',
    );
    const successEap = buildEapMsChapV2Request(8, {
      op: 'success',
      msChapV2Id: 7,
      authenticatorResponse,
      message: 'Welcome',
    });
    expect(typeDataOf(successEap).subarray(4).toString()).toBe(`${rfc2759.authenticatorResponse} M=Welcome`);
    const success = decodeMsChapV2ServerMessage(typeDataOf(successEap));
    expect(success.ok && success.value.op).toBe('success');
    if (!success.ok || success.value.op !== 'success') return;
    expect(success.value.message).toBe('Welcome');
    expect(
      checkAuthenticatorResponse(
        ntHash,
        ntResponse,
        peerChallenge,
        authChallenge,
        'User',
        success.value.authenticatorResponse,
      ),
    ).toBe(true);

    // Peer -> server: the Success acknowledgement is the OpCode alone.
    const ackEap = buildEapMsChapV2Response(8, { op: 'success-ack' });
    expect(ackEap.toString('hex')).toBe('020800061a03');
    const ack = decodeMsChapV2PeerMessage(typeDataOf(ackEap));
    expect(ack.ok && ack.value).toEqual({ op: 'success-ack' });
  });

  it('builds and decodes the Failure request "E=691 R=0 C=... V=3 M=..."', () => {
    const eap = buildEapMsChapV2Request(9, {
      op: 'failure',
      msChapV2Id: 7,
      error: {
        errorCode: 691,
        retry: false,
        challenge: authChallenge,
        version: 3,
        message: 'Authentication failed',
      },
    });
    const typeData = typeDataOf(eap);
    expect(typeData.subarray(4).toString()).toBe(
      `E=691 R=0 C=${rfc2759.authenticatorChallenge.toUpperCase()} V=3 M=Authentication failed`,
    );
    const decoded = decodeMsChapV2ServerMessage(typeData);
    expect(decoded.ok && decoded.value.op === 'failure' && decoded.value.error.errorCode).toBe(691);
    const decodedEap = decodeEap(eap);
    expect(decodedEap.ok && decodedEap.value.code).toBe(EapCode.Request);
  });

  it('names malformed messages', () => {
    const serverCode = (bytes: Buffer) => {
      const r = decodeMsChapV2ServerMessage(bytes);
      return r.ok ? 'ok' : r.code;
    };
    const peerCode = (bytes: Buffer) => {
      const r = decodeMsChapV2PeerMessage(bytes);
      return r.ok ? 'ok' : r.code;
    };
    const challenge = encodeMsChapV2ServerMessage({
      op: 'challenge',
      msChapV2Id: 1,
      challenge: authChallenge,
      name: '',
    });
    expect(serverCode(challenge)).toBe('ok');
    expect(serverCode(Buffer.alloc(0))).toBe('mschapv2-empty');
    expect(serverCode(hex('02'))).toBe('mschapv2-unexpected-opcode');
    expect(serverCode(hex('0101'))).toBe('mschapv2-header-truncated');
    expect(serverCode(Buffer.concat([challenge, hex('00')]))).toBe('mschapv2-ms-length-mismatch');
    const wrongSize = Buffer.from(challenge);
    wrongSize[4] = 8;
    expect(serverCode(wrongSize)).toBe('mschapv2-value-size');
    expect(serverCode(hex('0101000510'))).toBe('mschapv2-value-truncated');
    expect(serverCode(hex('030100065a5a'))).toBe('success-message-malformed');
    expect(serverCode(hex('040100065a5a'))).toBe('error-message-malformed');
    expect(peerCode(hex('0300'))).toBe('mschapv2-ack-length');
    expect(peerCode(hex('01'))).toBe('mschapv2-unexpected-opcode');
    expect(peerCode(hex('07'))).toBe('mschapv2-unexpected-opcode');
  });

  it('never throws on arbitrary Type-Data: a closed-list code, or a message that encodes back', () => {
    fc.assert(
      fc.property(msChapV2TypeData, (bytes) => {
        const server = decodeMsChapV2ServerMessage(bytes);
        if (server.ok)
          expect(decodeMsChapV2ServerMessage(encodeMsChapV2ServerMessage(server.value))).toEqual(server);
        else expectClosedFailure(server, msChapV2DecodeFailureReasons, messageFailureReasons);
        const peer = decodeMsChapV2PeerMessage(bytes);
        if (peer.ok) expect(decodeMsChapV2PeerMessage(encodeMsChapV2PeerMessage(peer.value))).toEqual(peer);
        else expectClosedFailure(peer, msChapV2DecodeFailureReasons, messageFailureReasons);
      }),
      { numRuns: typeDataFuzzRuns },
    );
  });
});

describe('property inputs reach what the titles promise', () => {
  it('the Type-Data fuzz decodes as every message kind, and fails every way', () => {
    const samples = sampleInputs(msChapV2TypeData, typeDataFuzzRuns);
    const outcomes = new Set(
      samples.flatMap((bytes) =>
        [decodeMsChapV2ServerMessage(bytes), decodeMsChapV2PeerMessage(bytes)].map((r) =>
          r.ok ? r.value.op : r.code,
        ),
      ),
    );
    for (const op of ['challenge', 'success', 'failure', 'response', 'success-ack', 'failure-ack']) {
      expect(outcomes, op).toContain(op);
    }
    for (const code of Object.keys(msChapV2DecodeFailureReasons)) expect(outcomes, code).toContain(code);
  });
});
