import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  PacketCode,
  applyMutation,
  buildRequest,
  buildResponse,
  decodeAndVerifyRequest,
  decodeAttributes,
  decodePacket,
  encodeAttributes,
  formatAttribute,
  verifyRequest,
  verifyResponse,
  type AttributeInput,
} from '../../protocol/index.ts';

interface Rfc2865Vector {
  secret: string;
  request: { hex: string; identifier: number; authenticator: string; attributes: AttributeInput[] };
  accept: { hex: string; attributes: AttributeInput[] };
}
interface ErrorVectors {
  cases: { name: string; hex: string; error: string }[];
  accepted: { name: string; hex: string }[];
}

const vector = JSON.parse(
  readFileSync(new URL('../vectors/rfc2865-7.1.json', import.meta.url), 'utf8'),
) as Rfc2865Vector;
const errors = JSON.parse(
  readFileSync(new URL('../vectors/decode-errors.json', import.meta.url), 'utf8'),
) as ErrorVectors;

describe('RFC 2865 7.1 example', () => {
  const authenticator = Buffer.from(vector.request.authenticator, 'hex');
  const request = buildRequest({
    code: PacketCode.AccessRequest,
    identifier: vector.request.identifier,
    authenticator,
    secret: vector.secret,
    messageAuthenticator: false,
    attributes: vector.request.attributes,
  });

  it('encodes the Access-Request byte for byte, User-Password hidden', () => {
    expect(request.bytes.toString('hex')).toBe(vector.request.hex);
  });

  it('encodes the Access-Accept with its Response Authenticator', () => {
    const accept = buildResponse({
      code: PacketCode.AccessAccept,
      request: request.packet,
      secret: vector.secret,
      messageAuthenticator: false,
      attributes: vector.accept.attributes,
    });
    expect(accept.bytes.toString('hex')).toBe(vector.accept.hex);
    const decoded = decodePacket(accept.bytes);
    expect(decoded.ok).toBe(true);
    if (decoded.ok)
      expect(verifyResponse(accept.bytes, decoded.value, authenticator, vector.secret).ok).toBe(true);
  });

  it('decodes the request and reveals the password', () => {
    const decoded = decodePacket(Buffer.from(vector.request.hex, 'hex'));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const attrs = decodeAttributes(decoded.value.attributes, {
      secret: vector.secret,
      requestAuthenticator: authenticator,
    });
    expect(attrs.map((a) => [a.name, a.value])).toEqual([
      ['User-Name', 'nemo'],
      ['User-Password', Buffer.from('arctangent')],
      ['NAS-IP-Address', '192.168.1.16'],
      ['NAS-Port', 3],
    ]);
    expect(attrs.map((a) => formatAttribute(a))).toContain('User-Password = <hidden>');
  });

  it('copies the datagram unless it is handed over (adopt), and decodes both alike', () => {
    // A Buffer of its own, as a datagram arrives (Buffer.from would share the allocation pool).
    const hex = Buffer.from(vector.request.hex, 'hex');
    const data = Buffer.alloc(hex.length);
    hex.copy(data);
    const copied = decodePacket(data);
    const adopted = decodePacket(data, { adopt: true });
    if (!copied.ok || !adopted.ok) throw new Error('the RFC example must decode');
    expect(adopted.value).toEqual(copied.value);
    expect(copied.value.authenticator.buffer).not.toBe(data.buffer);
    expect(adopted.value.authenticator.buffer).toBe(data.buffer);
    expect(adopted.value.attributes.every((a) => a.value.buffer === data.buffer)).toBe(true);
  });
});

describe('decode failures (test/vectors/decode-errors.json)', () => {
  for (const c of errors.cases) {
    it(`${c.name} -> ${c.error}`, () => {
      const result = decodePacket(Buffer.from(c.hex, 'hex'));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.code).toBe(c.error);
    });
  }
  for (const c of errors.accepted) {
    it(`accepts: ${c.name}`, () => {
      expect(decodePacket(Buffer.from(c.hex, 'hex')).ok).toBe(true);
    });
  }
});

describe('Message-Authenticator', () => {
  const secret = 'testing123';
  const request = buildRequest({
    code: PacketCode.AccessRequest,
    identifier: 7,
    secret,
    attributes: [
      { name: 'User-Name', value: 'alice' },
      { name: 'User-Password', value: 'Passw0rd!' },
    ],
  });

  it('is placed first in requests and replies radmfa builds', () => {
    expect(request.bytes[20]).toBe(80);
    expect(request.bytes[21]).toBe(18);
    const reply = buildResponse({
      code: PacketCode.AccessAccept,
      request: request.packet,
      secret,
      attributes: [],
    });
    expect(reply.bytes[20]).toBe(80);
  });

  it('verifies with the right secret only', () => {
    expect(decodeAndVerifyRequest(request.bytes, secret).ok).toBe(true);
    const wrong = decodeAndVerifyRequest(request.bytes, 'wrong-secret');
    expect(wrong.ok ? 'ok' : wrong.code).toBe('message-authenticator-invalid');
  });

  it('is required by policy when asked (Blast-RADIUS)', () => {
    const stripped = applyMutation(request.bytes, { kind: 'strip-message-authenticator' });
    expect(decodeAndVerifyRequest(stripped, secret).ok).toBe(true);
    const refused = decodeAndVerifyRequest(stripped, secret, { requireMessageAuthenticator: true });
    expect(refused.ok ? 'ok' : refused.code).toBe('message-authenticator-missing');
  });

  it('is mandatory in Status-Server (RFC 5997) and with EAP-Message (RFC 3579)', () => {
    const status = buildRequest({ code: PacketCode.StatusServer, identifier: 1, secret, attributes: [] });
    expect(decodeAndVerifyRequest(status.bytes, secret).ok).toBe(true);
    const bare = applyMutation(status.bytes, { kind: 'strip-message-authenticator' });
    const refused = decodeAndVerifyRequest(bare, secret);
    expect(refused.ok ? 'ok' : refused.code).toBe('message-authenticator-missing');
    const eap = buildRequest({
      code: PacketCode.AccessRequest,
      identifier: 2,
      secret,
      messageAuthenticator: false,
      attributes: [{ name: 'EAP-Message', value: Buffer.from('0201000601', 'hex') }],
    });
    const eapResult = decodeAndVerifyRequest(eap.bytes, secret);
    expect(eapResult.ok ? 'ok' : eapResult.code).toBe('eap-without-message-authenticator');
  });

  it('a reply code is not a request: refused as unexpected-code, signed or not, before any secret is tried', () => {
    // A reply (or a reflected copy of one) arriving on a server's request socket. Without
    // Message-Authenticator nothing in it can be checked as a request, so only its code gives it away.
    const replyCodes = [
      PacketCode.AccessAccept,
      PacketCode.AccessReject,
      PacketCode.AccountingResponse,
      PacketCode.AccessChallenge,
      PacketCode.StatusClient,
      PacketCode.DisconnectAck,
      PacketCode.DisconnectNak,
      PacketCode.CoAAck,
      PacketCode.CoANak,
    ];
    for (const code of replyCodes) {
      for (const messageAuthenticator of [false, true]) {
        const reply = buildResponse({
          code,
          request: request.packet,
          secret,
          attributes: [],
          messageAuthenticator,
        });
        const result = decodeAndVerifyRequest(reply.bytes, secret);
        expect(
          result.ok ? 'ok' : result.code,
          `code ${code}, Message-Authenticator ${messageAuthenticator}`,
        ).toBe('unexpected-code');
        if (!result.ok) expect(result.message).toContain(`code ${code}`);
      }
    }
  });

  it('a flipped bit is detected', () => {
    const damaged = applyMutation(request.bytes, { kind: 'flip-message-authenticator-bit' });
    const result = decodeAndVerifyRequest(damaged, secret);
    expect(result.ok ? 'ok' : result.code).toBe('message-authenticator-invalid');
  });
});

describe('computed Request Authenticators (RFC 2866 3, RFC 5176)', () => {
  it('Accounting-Request verifies only with its secret, and a changed bit is caught', () => {
    const acct = buildRequest({
      code: PacketCode.AccountingRequest,
      identifier: 3,
      secret: 's3cret',
      attributes: [
        { name: 'Acct-Status-Type', value: 'Start' },
        { name: 'Acct-Session-Id', value: 'abc' },
        { name: 'User-Name', value: 'bob' },
      ],
    });
    const decoded = decodePacket(acct.bytes);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(verifyRequest(acct.bytes, decoded.value, 's3cret').ok).toBe(true);
    expect(verifyRequest(acct.bytes, decoded.value, 'other').ok).toBe(false);
    const flipped = applyMutation(acct.bytes, { kind: 'flip-authenticator-bit' });
    const redecoded = decodePacket(flipped);
    if (redecoded.ok) expect(verifyRequest(flipped, redecoded.value, 's3cret').ok).toBe(false);
  });

  it('CoA-Request with Message-Authenticator signs both', () => {
    const coa = buildRequest({
      code: PacketCode.CoARequest,
      identifier: 9,
      secret: 'coa',
      messageAuthenticator: true,
      attributes: [
        { name: 'User-Name', value: 'carol' },
        { name: 'Session-Timeout', value: 60 },
      ],
    });
    expect(decodeAndVerifyRequest(coa.bytes, 'coa').ok).toBe(true);
    expect(decodeAndVerifyRequest(coa.bytes, 'nope').ok).toBe(false);
  });
});

describe('attributes', () => {
  it('wraps vendor attributes and decodes them back (Microsoft 311)', () => {
    const raw = encodeAttributes([
      { name: 'MS-CHAP-Challenge', value: Buffer.alloc(16, 1) },
      { name: 'Cisco-AVPair', value: 'shell:priv-lvl=15' },
    ]);
    expect(raw[0]?.type).toBe(26);
    expect(raw[0]?.value.readUInt32BE(0)).toBe(311);
    const decoded = decodeAttributes(raw);
    expect(decoded.map((a) => [a.name, a.vendorId])).toEqual([
      ['MS-CHAP-Challenge', 311],
      ['Cisco-AVPair', 9],
    ]);
  });

  it('splits EAP-Message over 253 octets and keeps Proxy-State in replies', () => {
    const eap = Buffer.alloc(600, 7);
    const request = buildRequest({
      code: PacketCode.AccessRequest,
      identifier: 1,
      secret: 'x',
      attributes: [
        { name: 'EAP-Message', value: eap },
        { name: 'Proxy-State', value: Buffer.from('one') },
        { name: 'Proxy-State', value: Buffer.from('two') },
      ],
    });
    const eapParts = request.packet.attributes.filter((a) => a.type === 79).map((a) => a.value.length);
    expect(eapParts).toEqual([253, 253, 94]);
    const reply = buildResponse({
      code: PacketCode.AccessReject,
      request: request.packet,
      secret: 'x',
      attributes: [],
    });
    const decoded = decodePacket(reply.bytes);
    expect(
      decoded.ok && decoded.value.attributes.filter((a) => a.type === 33).map((a) => a.value.toString()),
    ).toEqual(['one', 'two']);
  });

  it('handles tagged attributes (RFC 2868) including Tunnel-Password', () => {
    const crypto = {
      secret: 'tun',
      requestAuthenticator: Buffer.alloc(16, 3),
      random: () => Buffer.from([1, 2]),
    };
    const raw = encodeAttributes(
      [
        { name: 'Tunnel-Type', value: 'VLAN', tag: 1 },
        { name: 'Tunnel-Private-Group-Id', value: '42', tag: 1 },
        { name: 'Tunnel-Password', value: 'vlan-secret', tag: 2 },
      ],
      crypto,
    );
    expect(raw[0]?.value.toString('hex')).toBe('0100000d');
    const decoded = decodeAttributes(raw, crypto);
    expect(
      decoded.map((a) => [a.name, a.tag, Buffer.isBuffer(a.value) ? a.value.toString() : a.value]),
    ).toEqual([
      ['Tunnel-Type', 1, 13],
      ['Tunnel-Private-Group-Id', 1, '42'],
      ['Tunnel-Password', 2, 'vlan-secret'],
    ]);
  });

  it('reports undecodable values instead of throwing', () => {
    const decoded = decodeAttributes([{ type: 5, value: Buffer.from([1, 2]) }]);
    expect(decoded[0]?.invalid).toMatch(/4 octets/);
  });

  it('names the field and the fix for bad input values', () => {
    expect(() => encodeAttributes([{ name: 'Service-Type', value: 'Framed' }])).toThrow(/Framed-User/);
    expect(() => encodeAttributes([{ name: 'No-Such-Attribute', value: 1 }])).toThrow(/unknown attribute/);
  });
});
