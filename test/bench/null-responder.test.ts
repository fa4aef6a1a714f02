import { describe, expect, it } from 'vitest';
import { PacketCode } from '../../protocol/index.ts';
import { nullReply } from '../../bench/null-responder.ts';
import { createRequestFactory, replyVerifies } from '../../bench/request-factory.ts';

describe('null responder', () => {
  const factory = createRequestFactory({
    code: PacketCode.StatusServer,
    secret: 'null-secret',
    variants: [[{ name: 'NAS-Identifier', value: 'bench' }]],
  });

  it('answers with a bare Access-Accept that verifies against the request', () => {
    const request = factory(42, 0);
    const reply = nullReply(request.bytes, 'null-secret');
    expect(reply?.length).toBe(20);
    expect(reply?.[0]).toBe(PacketCode.AccessAccept);
    expect(reply?.[1]).toBe(42);
    expect(reply !== undefined && replyVerifies(reply, request.authenticator, 'null-secret')).toBe(true);
    expect(reply !== undefined && replyVerifies(reply, request.authenticator, 'other')).toBe(false);
  });

  it('ignores datagrams shorter than a RADIUS header', () => {
    expect(nullReply(Buffer.alloc(19), 'null-secret')).toBeUndefined();
  });
});
