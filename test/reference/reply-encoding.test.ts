import { describe, expect, it } from 'vitest';
import { PacketCode, buildResponse, encodeAttributes, type AttributeInput } from '../../protocol/index.ts';
import { plainReplyAttributes } from '../../reference/reply-encoding.ts';

const request = { identifier: 7, authenticator: Buffer.alloc(16, 3) };

describe('plainReplyAttributes', () => {
  it('encodes a policy reply once and gives the same wire form as encoding it per reply', () => {
    const reply: AttributeInput[] = [
      { name: 'Class', value: 'vpn-users' },
      { name: 'Filter-Id', value: 'user-acl' },
      { name: 'Session-Timeout', value: 3600 },
    ];
    const raw = plainReplyAttributes(reply);
    expect(raw).toEqual(encodeAttributes(reply));
    expect(plainReplyAttributes(reply)).toBe(raw);
    const viaRaw = buildResponse({
      code: PacketCode.AccessAccept,
      request,
      secret: 's3cret',
      attributes: [],
      rawAttributes: raw ?? [],
    }).bytes;
    const viaNames = buildResponse({
      code: PacketCode.AccessAccept,
      request,
      secret: 's3cret',
      attributes: reply,
    }).bytes;
    expect(viaRaw.equals(viaNames)).toBe(true);
  });

  it('encodes the list again once a value in it changed', () => {
    const reply: { name: string; value: string | number }[] = [{ name: 'Session-Timeout', value: 60 }];
    const first = plainReplyAttributes(reply);
    reply[0] = { name: 'Session-Timeout', value: 120 };
    const second = plainReplyAttributes(reply);
    expect(second).not.toBe(first);
    expect(second).toEqual(encodeAttributes(reply));
  });

  it('leaves to the reply what needs the secret or could change in place', () => {
    expect(plainReplyAttributes([{ name: 'Tunnel-Password', value: 'pw', tag: 1 }])).toBeUndefined();
    expect(plainReplyAttributes([{ name: 'Class', value: Buffer.from('x') }])).toBeUndefined();
    expect(plainReplyAttributes([{ name: 'Message-Authenticator', value: 'x' }])).toBeUndefined();
    expect(plainReplyAttributes([])).toBeUndefined();
  });
});
