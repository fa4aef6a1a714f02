import { describe, expect, it } from 'vitest';
import {
  PacketCode,
  attributeValue,
  buildResponse,
  decodeAndVerifyRequest,
  decodeAttributes,
} from '../../protocol/index.ts';
import { createRequestFactory, replyVerifies } from '../../bench/request-factory.ts';

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

describe('request factory', () => {
  const factory = createRequestFactory({ code: PacketCode.AccessRequest, secret: SECRET, variants });

  it('builds requests that verify, with the Identifier asked for and the password hidden afresh', () => {
    const first = factory(17, 0);
    const second = factory(18, 2);
    const a = decode(first.bytes);
    const b = decode(second.bytes);
    expect(a.packet.identifier).toBe(17);
    expect(b.packet.identifier).toBe(18);
    expect(a.user).toBe('alice');
    expect(a.password).toBe('alice-password');
    expect(b.password).toBe('alice-password');
    expect(first.authenticator.equals(a.packet.authenticator)).toBe(true);
    expect(first.authenticator.equals(second.authenticator)).toBe(false);
    // Same password, different authenticators: the hidden values must differ (RFC 2865 5.2).
    expect(first.bytes.equals(second.bytes)).toBe(false);
  });

  it('cycles through the variants by sequence number', () => {
    expect(decode(factory(1, 1).bytes).user).toBe('bob');
    expect(decode(factory(1, 3).bytes).password).toBe('bob-password');
  });

  it('gives unique authenticators across more than one random block', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(factory(i & 0xff, i).authenticator.toString('hex'));
    expect(seen.size).toBe(5000);
  });

  it('builds Status-Server with a Message-Authenticator the server side verifies', () => {
    const status = createRequestFactory({
      code: PacketCode.StatusServer,
      secret: SECRET,
      variants: [[{ name: 'NAS-Identifier', value: 'bench' }]],
    });
    const { bytes } = status(9, 0);
    expect(decodeAndVerifyRequest(bytes, SECRET).ok).toBe(true);
    expect(decodeAndVerifyRequest(bytes, 'other-secret').ok).toBe(false);
  });
});

describe('replyVerifies', () => {
  const factory = createRequestFactory({ code: PacketCode.AccessRequest, secret: SECRET, variants });
  const request = factory(5, 0);
  const packet = decode(request.bytes).packet;
  const reply = (messageAuthenticator: boolean, secret = SECRET): Buffer =>
    buildResponse({
      code: PacketCode.AccessAccept,
      request: packet,
      attributes: [{ name: 'Session-Timeout', value: 60 }],
      secret,
      messageAuthenticator,
    }).bytes;

  it('accepts a reply signed with the secret, with or without Message-Authenticator', () => {
    expect(replyVerifies(reply(true), request.authenticator, SECRET)).toBe(true);
    expect(replyVerifies(reply(false), request.authenticator, SECRET)).toBe(true);
  });

  it('refuses a wrong secret, another request, a tampered or truncated reply', () => {
    expect(replyVerifies(reply(true, 'other'), request.authenticator, SECRET)).toBe(false);
    expect(replyVerifies(reply(true), factory(5, 1).authenticator, SECRET)).toBe(false);
    const tampered = reply(true);
    const last = tampered.length - 1;
    tampered.writeUInt8(tampered.readUInt8(last) ^ 0xff, last);
    expect(replyVerifies(tampered, request.authenticator, SECRET)).toBe(false);
    expect(replyVerifies(reply(true).subarray(0, 30), request.authenticator, SECRET)).toBe(false);
    expect(replyVerifies(Buffer.alloc(10), request.authenticator, SECRET)).toBe(false);
  });
});
