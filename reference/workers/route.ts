// Which worker owns a datagram, decided from the datagram and its source alone, so every copy of a
// request (a NAS retransmits the same bytes from the same source, RFC 5080 2.2.1) is handled by the
// same worker, whichever worker the kernel handed it to. Per-worker duplicate caches and challenge
// stores are then correct by construction: no state is shared, none needs to be.
//   - An Access-Request carrying State goes to the worker whose store opened that State: the
//     worker's index is the State's first octet (stateTagFor). The answer to a challenge may come
//     from another source port (another NAS socket) and still reaches its conversation.
//   - Any other Access-Request goes by a hash of the duplicate key itself (`hash`): source address
//     and port, Identifier and Request Authenticator (RFC 5080 2.2.2), the same for every copy, and
//     spread even when one NAS socket sends everything (radclient does, so do many NASes). Or it
//     stays where the kernel put it (`local`) when the kernel already routes by source
//     (SO_REUSEPORT hashes the 4-tuple, so the same NAS socket always reaches the same worker).
//   - Accounting and Status-Server stay where they arrive: the accounting store recognises a
//     retransmission in the shared SQLite file (a unique key, across processes), and
//     Status-Server is never subject to duplicate detection (RFC 5997 3).

/** Access-Request (RFC 2865 3). */
const ACCESS_REQUEST = 1;
/** State (RFC 2865 5.24). */
const STATE = 24;
const HEADER_LENGTH = 20;

export type RouteMode = 'hash' | 'local';

/** The first octet of the State attribute's value, or -1 when there is none (or it is malformed). */
export function stateTagOf(data: Buffer): number {
  const length = Math.min(data.length, data.length >= 4 ? data.readUInt16BE(2) : 0);
  for (let offset = HEADER_LENGTH; offset + 2 <= length;) {
    const attrLength = data[offset + 1] ?? 0;
    if (attrLength < 2 || offset + attrLength > length) return -1;
    if (data[offset] === STATE) return attrLength > 2 ? (data[offset + 2] ?? -1) : -1;
    offset += attrLength;
  }
  return -1;
}

const FNV_PRIME = 0x01000193;

/**
 * FNV-1a over the duplicate key (address, port, Identifier, Request Authenticator): cheap, and the
 * same in every process (no per-process seed). A worker that must agree with the others on an
 * owner cannot use a seeded hash; an attacker steering load to one worker gains nothing they could
 * not get by sending more.
 */
export function duplicateKeyHash(address: string, port: number, data: Buffer): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) hash = Math.imul(hash ^ address.charCodeAt(i), FNV_PRIME);
  hash = Math.imul(hash ^ (port & 0xff), FNV_PRIME);
  hash = Math.imul(hash ^ (port >>> 8), FNV_PRIME);
  hash = Math.imul(hash ^ (data[1] ?? 0), FNV_PRIME);
  for (let i = 4; i < HEADER_LENGTH; i++) hash = Math.imul(hash ^ (data[i] ?? 0), FNV_PRIME);
  // Fold the high bits in: the low bits of FNV alone spread poorly under a small modulus.
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** The index of the worker that must handle this datagram (`self` when it is this one's). */
export function ownerOf(
  data: Buffer,
  from: { readonly address: string; readonly port: number },
  workers: number,
  self: number,
  mode: RouteMode,
): number {
  if (workers <= 1 || data.length < HEADER_LENGTH || data[0] !== ACCESS_REQUEST) return self;
  const tag = stateTagOf(data);
  if (tag >= 0) return tag % workers;
  return mode === 'local' ? self : duplicateKeyHash(from.address, from.port, data) % workers;
}

/** The `random` a worker's challenge store uses: fresh random States whose first octet names it. */
export function stateTagFor(worker: number, random: (size: number) => Buffer): (size: number) => Buffer {
  return (size) => {
    const bytes = random(size);
    bytes[0] = worker;
    return bytes;
  };
}
