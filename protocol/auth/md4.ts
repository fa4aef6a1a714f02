// MD4 (RFC 1320) for the NT password hash (RFC 2759 8.3). Node 20's OpenSSL 3 only offers MD4
// through the legacy provider, so the pure-JS js-md4 package computes it.
import jsMd4 from 'js-md4';

export function md4(data: Uint8Array): Buffer {
  return Buffer.from(jsMd4.arrayBuffer(data));
}
