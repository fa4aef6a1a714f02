// The dispatcher is a pure function of the datagram and its source: every copy of a request has
// one owner, a State names its worker, and only Access-Requests move.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketCode, buildRequest } from '../../../protocol/index.ts';
import { ownerOf, stateTagFor, stateTagOf } from '../../../reference/workers/route.ts';

function accessRequest(state?: Buffer, identifier = 7): Buffer {
  return buildRequest({
    code: PacketCode.AccessRequest,
    identifier,
    secret: 's',
    attributes: [
      { name: 'User-Name', value: 'alice' },
      ...(state !== undefined ? [{ name: 'State', value: state }] : []),
    ],
    messageAuthenticator: true,
  }).bytes;
}

describe('ownerOf', () => {
  it('every copy of a datagram from one source has the same owner, whichever worker asks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 16 }), fc.integer({ min: 1, max: 65535 }), (workers, port) => {
        const bytes = accessRequest();
        const from = { address: '192.0.2.10', port };
        const owners = Array.from({ length: workers }, (_, self) =>
          ownerOf(bytes, from, workers, self, 'hash'),
        );
        expect(new Set(owners).size).toBe(1);
      }),
    );
  });

  it('requests from one source port spread over the workers (the key includes the authenticator)', () => {
    const owners = new Set(
      Array.from({ length: 64 }, (_, i) =>
        ownerOf(accessRequest(undefined, i), { address: '127.0.0.1', port: 5000 }, 4, 0, 'hash'),
      ),
    );
    expect(owners.size).toBe(4);
  });

  it('a State goes to the worker its first octet names, from any source, in either mode', () => {
    const state = stateTagFor(3, (size) => Buffer.alloc(size, 0xaa))(16);
    expect(state[0]).toBe(3);
    expect(stateTagOf(accessRequest(state))).toBe(3);
    for (const port of [1, 2, 3, 40000]) {
      expect(ownerOf(accessRequest(state), { address: '127.0.0.1', port }, 4, 0, 'hash')).toBe(3);
      expect(ownerOf(accessRequest(state), { address: '127.0.0.1', port }, 4, 1, 'local')).toBe(3);
    }
  });

  it('accounting, Status-Server and runts stay where they arrived; local mode keeps plain requests', () => {
    const acct = Buffer.from(accessRequest());
    acct[0] = PacketCode.AccountingRequest;
    expect(ownerOf(acct, { address: '127.0.0.1', port: 9 }, 4, 2, 'hash')).toBe(2);
    expect(ownerOf(Buffer.from([1, 2, 0, 4]), { address: '127.0.0.1', port: 9 }, 4, 2, 'hash')).toBe(2);
    expect(ownerOf(accessRequest(), { address: '127.0.0.1', port: 9 }, 4, 1, 'local')).toBe(1);
  });

  it('a malformed attribute list has no State (never an out-of-range read)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 80 }), (raw) => {
        const bytes = Buffer.from(raw);
        bytes[0] = 1;
        const tag = stateTagOf(bytes);
        expect(tag >= -1 && tag <= 255).toBe(true);
        const owner = ownerOf(bytes, { address: '::1', port: 1 }, 3, 0, 'hash');
        expect(owner >= 0 && owner < 3).toBe(true);
      }),
    );
  });
});
