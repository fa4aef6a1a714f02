import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PacketCode,
  answersRequest,
  attributeValue,
  buildRequest,
  buildResponse,
  checkReply,
  createRequestTemplate,
  decodeAndVerifyRequest,
  decodeAttributes,
  decodePacket,
  verifyResponse,
  type ReplyCheck,
} from '../../protocol/index.ts';

const SECRET = 'bench-secret';
const variants = ['alice', 'bob'].map((user) => [
  { name: 'User-Name', value: user },
  { name: 'User-Password', value: `${user}-password` },
  { name: 'NAS-Identifier', value: 'bench' },
]);

function decode(bytes: Buffer, secret = SECRET) {
  const decoded = decodeAndVerifyRequest(bytes, secret);
  if (!decoded.ok) throw new Error(decoded.message);
  const attributes = decodeAttributes(decoded.value.attributes, {
    secret,
    requestAuthenticator: decoded.value.authenticator,
  });
  const password = attributeValue(attributes, 'User-Password');
  return {
    packet: decoded.value,
    user: attributeValue(attributes, 'User-Name'),
    password: Buffer.isBuffer(password) ? password.toString('utf8') : password,
  };
}

/** decodePacket then verifyResponse: what checkReply must agree with. */
function reference(
  reply: Buffer,
  requestAuthenticator: Buffer,
  requireMessageAuthenticator: boolean,
): ReplyCheck {
  const decoded = decodePacket(reply);
  if (!decoded.ok) return decoded.code;
  const verified = verifyResponse(reply, decoded.value, requestAuthenticator, SECRET, {
    requireMessageAuthenticator,
  });
  return verified.ok ? 'ok' : verified.code;
}

describe('request templates', () => {
  const template = createRequestTemplate({ code: PacketCode.AccessRequest, secret: SECRET, variants });

  it('builds requests that verify, with the Identifier asked for and the password hidden afresh', () => {
    const first = template.instantiate(17, 0);
    const second = template.instantiate(18, 2);
    const a = decode(first);
    const b = decode(second);
    expect([a.packet.identifier, b.packet.identifier]).toEqual([17, 18]);
    expect([a.user, a.password, b.password]).toEqual(['alice', 'alice-password', 'alice-password']);
    // Same password, different authenticators: the hidden values must differ (RFC 2865 5.2).
    expect(first.subarray(4, 20).equals(second.subarray(4, 20))).toBe(false);
    expect(first.equals(second)).toBe(false);
    expect(decode(template.instantiate(1, 3)).user).toBe('bob');
  });

  it('gives unique authenticators across many random blocks', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++)
      seen.add(
        template
          .instantiate(i & 0xff, i)
          .subarray(4, 20)
          .toString('hex'),
      );
    expect(seen.size).toBe(5000);
  });

  it('hides any password (0 to 128 octets, several blocks) and signs exactly as buildRequest does', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 128, size: 'max' }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 255 }),
        (password, user, identifier) => {
          const attributes = [
            { name: 'User-Name', value: user },
            { name: 'User-Password', value: Buffer.from(password) },
            { name: 'NAS-Identifier', value: 'bench' },
          ];
          const made = createRequestTemplate({
            code: PacketCode.AccessRequest,
            secret: SECRET,
            variants: [attributes],
          }).instantiate(identifier, 0);
          // The reference: the full builder with the same Identifier and Request Authenticator.
          const { bytes } = buildRequest({
            code: PacketCode.AccessRequest,
            identifier,
            attributes,
            secret: SECRET,
            authenticator: Buffer.from(made.subarray(4, 20)),
          });
          expect(made.toString('hex')).toBe(bytes.toString('hex'));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('signs Accounting-Requests with the computed Request Authenticator', () => {
    const accounting = createRequestTemplate({
      code: PacketCode.AccountingRequest,
      secret: SECRET,
      variants: [
        [
          { name: 'Acct-Status-Type', value: 'Start' },
          { name: 'Acct-Session-Id', value: 's-1' },
        ],
      ],
    });
    const bytes = accounting.instantiate(3, 0);
    expect(decodeAndVerifyRequest(bytes, SECRET).ok).toBe(true);
    expect(decodeAndVerifyRequest(bytes, 'other').ok).toBe(false);
  });

  it('refuses an empty variant list and a non-text password, naming the problem', () => {
    expect(() => createRequestTemplate({ code: 1, secret: SECRET, variants: [] })).toThrow(/needs a variant/);
    expect(() =>
      createRequestTemplate({
        code: 1,
        secret: SECRET,
        variants: [[{ name: 'User-Password', value: 5 }]],
      }),
    ).toThrow(/User-Password/);
  });
});

describe('checkReply agrees with decodePacket + verifyResponse', () => {
  const request = createRequestTemplate({
    code: PacketCode.AccessRequest,
    secret: SECRET,
    variants,
  }).instantiate(9, 0);
  const requestAuthenticator = request.subarray(4, 20);
  const replyFor = (messageAuthenticator: boolean, eap: boolean) =>
    buildResponse({
      code: PacketCode.AccessAccept,
      request: { identifier: 9, authenticator: Buffer.from(requestAuthenticator) },
      secret: SECRET,
      messageAuthenticator,
      attributes: [
        { name: 'Reply-Message', value: 'welcome' },
        ...(eap ? [{ name: 'EAP-Message', value: Buffer.from([3, 1, 0, 4]) }] : []),
      ],
    }).bytes;

  it('on well-formed replies with and without Message-Authenticator, EAP and policy', () => {
    for (const ma of [true, false]) {
      for (const eap of [true, false]) {
        for (const require of [true, false]) {
          const reply = replyFor(ma, eap);
          expect(
            checkReply(reply, requestAuthenticator, SECRET, { requireMessageAuthenticator: require }),
          ).toBe(reference(reply, requestAuthenticator, require));
        }
      }
    }
    expect(checkReply(replyFor(true, false), requestAuthenticator, SECRET)).toBe('ok');
    expect(checkReply(replyFor(true, false), requestAuthenticator, 'wrong')).toBe('authenticator-invalid');
  });

  it('on damaged replies and arbitrary bytes (property)', () => {
    const damaged = fc
      .tuple(fc.boolean(), fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 30 }))
      .map(([ma, eap, at, value, cut]) => {
        const reply = Buffer.from(replyFor(ma, eap));
        reply[at % reply.length] = value;
        return reply.subarray(0, Math.max(0, reply.length - cut));
      });
    const arbitrary = fc.uint8Array({ maxLength: 120, size: 'max' }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.oneof(damaged, arbitrary), fc.boolean(), (reply, require) => {
        expect(
          checkReply(reply, requestAuthenticator, SECRET, { requireMessageAuthenticator: require }),
        ).toBe(reference(reply, requestAuthenticator, require));
      }),
      { numRuns: 2000 },
    );
  });

  it('knows which reply codes answer which requests', () => {
    expect(answersRequest(PacketCode.AccessRequest, PacketCode.AccessChallenge)).toBe(true);
    expect(answersRequest(PacketCode.AccessRequest, PacketCode.AccountingResponse)).toBe(false);
    expect(answersRequest(PacketCode.AccountingRequest, PacketCode.AccountingResponse)).toBe(true);
  });
});
