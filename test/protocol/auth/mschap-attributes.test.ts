import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sampleInputs } from '../../support/input-sample.ts';
import {
  buildMsChap2Response,
  buildMsChap2Success,
  buildMsChapError,
  buildMsChapResponse,
  msChapAttributeFailureReasons,
  parseMsChap2Response,
  parseMsChap2Success,
  parseMsChapChallenge,
  parseMsChapError,
  parseMsChapResponse,
} from '../../../protocol/auth/mschap-attributes.ts';
import {
  formatErrorMessage,
  messageFailureReasons,
  parseErrorMessage,
  parseSuccessMessage,
} from '../../../protocol/auth/mschap-messages.ts';
import { expectClosedFailure } from '../../support/decode-results.ts';
import rfc2759 from '../../vectors/rfc2759.json' with { type: 'json' };

const hex = (text: string) => Buffer.from(text, 'hex');
const peer = hex(rfc2759.peerChallenge);
const nt = hex(rfc2759.ntResponse);
const parserFuzzRuns = 1000;

// fast-check 4 stays near 10 elements unless `size` is set: every ranged arbitrary says `size: 'max'`.
// M=<text> is free text (RFC 2759 6), not only ASCII.
const messageText = fc.string({ unit: 'grapheme', maxLength: 80, size: 'max' });

/**
 * Attribute values a peer might send: any octets (the 8-, 16- and 50-octet lengths the parsers take
 * among them), an Ident and text built from the tokens of RFC 2759 5 and 6, and a well-formed
 * success message with hex digits in either case.
 */
const attributeValue = fc.oneof(
  fc.uint8Array({ maxLength: 80, size: 'max' }).map((a) => Buffer.from(a)),
  fc
    .constantFrom(8, 16, 50)
    .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a))),
  fc
    .tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.array(
        fc.constantFrom('E=', 'R=', 'C=', 'V=', 'M=', 'S=', ' ', '691', '0', '1', 'AB', 'zz', '\u00e9'),
        { maxLength: 20, size: 'max' },
      ),
    )
    .map(([ident, parts]) => Buffer.concat([Buffer.from([ident]), Buffer.from(parts.join(''), 'utf8')])),
  fc
    .tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.stringMatching(/^E=\d{1,10}$/),
      fc.shuffledSubarray(['R=0', 'R=1', 'C=00112233445566778899aabbccddeeff', 'C=0A0b', 'V=3', 'V=0003']),
      fc.option(messageText, { nil: undefined }),
    )
    .map(([ident, e, others, message]) =>
      Buffer.concat([
        Buffer.from([ident]),
        Buffer.from([e, ...others].join(' ') + (message === undefined ? '' : ` M=${message}`), 'utf8'),
      ]),
    ),
  fc
    .tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.stringMatching(/^[0-9A-Fa-f]{40}$/),
      fc.option(messageText, { nil: undefined }),
    )
    .map(([ident, digits, message]) =>
      Buffer.concat([
        Buffer.from([ident]),
        Buffer.from(`S=${digits}${message === undefined ? '' : ` M=${message}`}`, 'utf8'),
      ]),
    ),
);

describe('MS-CHAP attribute values (RFC 2548)', () => {
  it('lays out MS-CHAP2-Response as Ident, Flags, Peer-Challenge, Reserved, NT-Response', () => {
    const value = buildMsChap2Response({ ident: 0x2f, peerChallenge: peer, ntResponse: nt });
    expect(value.toString('hex')).toBe(`2f00${rfc2759.peerChallenge}${'00'.repeat(8)}${rfc2759.ntResponse}`);
    const parsed = parseMsChap2Response(value);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.ident).toBe(0x2f);
    expect(parsed.value.flags).toBe(0);
    expect(parsed.value.peerChallenge.equals(peer)).toBe(true);
    expect(parsed.value.reserved.equals(Buffer.alloc(8))).toBe(true);
    expect(parsed.value.ntResponse.equals(nt)).toBe(true);
  });

  it('lays out MS-CHAP-Response (v1) as Ident, Flags, LM-Response, NT-Response', () => {
    const value = buildMsChapResponse({ ident: 7, ntResponse: nt });
    expect(value.toString('hex')).toBe(`0701${'00'.repeat(24)}${rfc2759.ntResponse}`);
    const parsed = parseMsChapResponse(value);
    expect(parsed.ok && parsed.value.useNtResponse && parsed.value.ntResponse.equals(nt)).toBe(true);
    const lmOnly = parseMsChapResponse(buildMsChapResponse({ ident: 7, ntResponse: nt, flags: 0 }));
    expect(lmOnly.ok && lmOnly.value.useNtResponse).toBe(false);
  });

  it('tells MS-CHAP v1 and v2 challenges apart by length', () => {
    const v1 = parseMsChapChallenge(Buffer.alloc(8));
    const v2 = parseMsChapChallenge(Buffer.alloc(16));
    const bad = parseMsChapChallenge(Buffer.alloc(12));
    expect(v1.ok && v1.value.version).toBe(1);
    expect(v2.ok && v2.value.version).toBe(2);
    expect(bad.ok ? 'ok' : bad.code).toBe('mschap-challenge-length');
  });

  it('builds and parses MS-CHAP2-Success with and without a message', () => {
    const plain = buildMsChap2Success(0x2f, rfc2759.authenticatorResponse);
    expect(plain.length).toBe(43);
    expect(plain[0]).toBe(0x2f);
    expect(plain.subarray(1).toString('ascii')).toBe(rfc2759.authenticatorResponse);
    const parsed = parseMsChap2Success(plain);
    expect(parsed.ok && parsed.value).toEqual({
      ident: 0x2f,
      authenticatorResponse: rfc2759.authenticatorResponse,
    });
    const withMessage = parseMsChap2Success(
      buildMsChap2Success(1, rfc2759.authenticatorResponse, 'Welcome in'),
    );
    expect(withMessage.ok && withMessage.value.message).toBe('Welcome in');
    const broken = parseMsChap2Success(Buffer.from('\x01S=1234', 'latin1'));
    expect(broken.ok ? 'ok' : broken.code).toBe('success-message-malformed');
  });

  it('builds and parses MS-CHAP-Error "E=691 R=0 C=... V=3 M=..."', () => {
    const challenge = hex(rfc2759.authenticatorChallenge);
    const value = buildMsChapError(3, {
      errorCode: 691,
      retry: false,
      challenge,
      version: 3,
      message: 'bad password, try again',
    });
    expect(value.subarray(1).toString('ascii')).toBe(
      `E=691 R=0 C=${rfc2759.authenticatorChallenge.toUpperCase()} V=3 M=bad password, try again`,
    );
    const parsed = parseMsChapError(value);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.ident).toBe(3);
    expect(parsed.value.errorCode).toBe(691);
    expect(parsed.value.retry).toBe(false);
    expect(parsed.value.challenge?.equals(challenge)).toBe(true);
    expect(parsed.value.version).toBe(3);
    expect(parsed.value.message).toBe('bad password, try again');
  });

  it('parses the short RFC 2433 form and rejects malformed failure texts', () => {
    const short = parseErrorMessage('E=646 R=1');
    expect(short.ok && short.value).toEqual({ errorCode: 646, retry: true });
    for (const text of ['', 'R=0', 'E=abc R=0', 'E=691 R=2', 'E=691 E=691', 'E=691 X=1', 'E=691 C=ABC']) {
      const r = parseErrorMessage(text);
      expect(r.ok ? 'ok' : r.code, text).toBe('error-message-malformed');
    }
    expect(parseSuccessMessage('S=407A5589115FD0D6209F510FE9C04566932CDA5').ok).toBe(false);
  });

  it('reads E= and V= as 32-bit unsigned numbers: 4294967295 is the largest, 4294967296 is malformed', () => {
    const largest = parseErrorMessage('E=4294967295 R=0 V=4294967295');
    expect(largest.ok && largest.value).toEqual({ errorCode: 0xffffffff, retry: false, version: 0xffffffff });
    for (const text of [
      'E=4294967296 R=0',
      'E=9999999999 R=1',
      'E=691 R=0 V=4294967296',
      'E=691 V=9999999999',
    ]) {
      const r = parseErrorMessage(text);
      expect(r.ok ? r.value : r.code, text).toBe('error-message-malformed');
    }
  });

  it('formats what it parses', () => {
    fc.assert(
      fc.property(
        fc.record({
          errorCode: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 0xffffffff })),
          retry: fc.boolean(),
          challenge: fc.option(
            fc.uint8Array({ minLength: 1, maxLength: 16, size: 'max' }).map((a) => Buffer.from(a)),
            { nil: undefined },
          ),
          version: fc.option(
            fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 0xffffffff })),
            {
              nil: undefined,
            },
          ),
          message: fc.option(messageText, { nil: undefined }),
        }),
        (fields) => {
          const parsed = parseErrorMessage(formatErrorMessage(fields));
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          expect(parsed.value.errorCode).toBe(fields.errorCode);
          expect(parsed.value.retry).toBe(fields.retry);
          expect(parsed.value.challenge?.toString('hex')).toBe(fields.challenge?.toString('hex'));
          expect(parsed.value.version).toBe(fields.version);
          expect(parsed.value.message).toBe(fields.message);
        },
      ),
    );
  });

  it('no parser throws on arbitrary bytes: a closed-list code, or a value that builds back', () => {
    fc.assert(
      fc.property(attributeValue, (bytes) => {
        const challenge = parseMsChapChallenge(bytes);
        if (challenge.ok)
          expect(challenge.value).toEqual({ version: bytes.length === 8 ? 1 : 2, challenge: bytes });
        else expectClosedFailure(challenge, msChapAttributeFailureReasons);

        const v2 = parseMsChap2Response(bytes);
        if (v2.ok) {
          // Reserved is built as zeros (RFC 2548 2.3.2); everything else comes back as sent.
          expect(buildMsChap2Response(v2.value)).toEqual(
            Buffer.concat([bytes.subarray(0, 18), Buffer.alloc(8), bytes.subarray(26)]),
          );
          expect(v2.value.reserved).toEqual(bytes.subarray(18, 26));
        } else expectClosedFailure(v2, msChapAttributeFailureReasons);

        const v1 = parseMsChapResponse(bytes);
        if (v1.ok) {
          expect(buildMsChapResponse(v1.value)).toEqual(bytes);
          expect(v1.value.useNtResponse).toBe(((bytes[1] ?? 0) & 1) === 1);
        } else expectClosedFailure(v1, msChapAttributeFailureReasons);

        // The text ones: what parsed, built again, parses to the same (the text may be normalised).
        const success = parseMsChap2Success(bytes);
        if (success.ok) {
          const { ident, authenticatorResponse, message } = success.value;
          expect(parseMsChap2Success(buildMsChap2Success(ident, authenticatorResponse, message))).toEqual(
            success,
          );
        } else expectClosedFailure(success, msChapAttributeFailureReasons, messageFailureReasons);

        const error = parseMsChapError(bytes);
        // Known gap, reported: the parser takes any ten-digit E= or V=, the builder only 0..2^32-1.
        const buildable =
          error.ok && error.value.errorCode <= 0xffffffff && (error.value.version ?? 0) <= 0xffffffff;
        if (error.ok && buildable) {
          const { ident, ...fields } = error.value;
          expect(parseMsChapError(buildMsChapError(ident, fields))).toEqual(error);
        }
        if (!error.ok) expectClosedFailure(error, msChapAttributeFailureReasons, messageFailureReasons);
      }),
      { numRuns: parserFuzzRuns },
    );
  });
});

describe('property inputs reach what the titles promise', () => {
  it('every parser both accepts and refuses some of the fuzz, and messages run long', () => {
    const samples = sampleInputs(attributeValue, parserFuzzRuns);
    const parsers = [
      parseMsChapChallenge,
      parseMsChap2Response,
      parseMsChapResponse,
      parseMsChap2Success,
      parseMsChapError,
    ];
    for (const parse of parsers) {
      const accepted = samples.filter((bytes) => parse(bytes).ok).length;
      expect(accepted, parse.name).toBeGreaterThan(parserFuzzRuns / 100);
      expect(samples.length - accepted, parse.name).toBeGreaterThan(parserFuzzRuns / 2);
    }
    expect(Math.max(...sampleInputs(messageText, 100).map((text) => text.length))).toBeGreaterThan(60);
  });
});
