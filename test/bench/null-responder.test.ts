import { describe, expect, it } from 'vitest';
import { PacketCode, checkReply, createRequestTemplate } from '../../protocol/index.ts';
import { nullReply } from '../../bench/null-responder.ts';

describe('null responder', () => {
  const template = createRequestTemplate({
    code: PacketCode.StatusServer,
    secret: 'null-secret',
    variants: [[{ name: 'NAS-Identifier', value: 'bench' }]],
  });

  it('answers with a bare Access-Accept that verifies against the request', () => {
    const request = template.instantiate(42, 0);
    const authenticator = request.subarray(4, 20);
    const reply = nullReply(request, 'null-secret');
    expect(reply?.length).toBe(20);
    expect(reply?.[0]).toBe(PacketCode.AccessAccept);
    expect(reply?.[1]).toBe(42);
    expect(reply !== undefined && checkReply(reply, authenticator, 'null-secret')).toBe('ok');
    expect(reply !== undefined && checkReply(reply, authenticator, 'other')).toBe('authenticator-invalid');
  });

  it('ignores datagrams shorter than a RADIUS header', () => {
    expect(nullReply(Buffer.alloc(19), 'null-secret')).toBeUndefined();
  });
});
