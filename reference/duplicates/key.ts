// The duplicate key of RFC 5080 2.2.2 (and RFC 2865 5.44's note on Identifier reuse): a request is a
// retransmission when it comes from the same source address and port with the same Identifier and
// Request Authenticator.

import { createHash } from 'node:crypto';
import { DuplicateKeyError } from './errors.ts';

const REQUEST_AUTHENTICATOR_LENGTH = 16;
const SEPARATOR = '|'; // cannot occur in an IPv4/IPv6 address literal, so parts never run together

export interface DuplicateKeyParts {
  /** Source address as the transport reports it ("192.0.2.1", "::1"). */
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly identifier: number;
  readonly requestAuthenticator: Uint8Array;
  /** Only read by profiles whose key includes credentials (`duo`); absent counts as empty. */
  readonly userName?: string | Uint8Array;
  /** The User-Password attribute as received (hidden) or revealed: either works, as long as it is consistent. */
  readonly userPassword?: string | Uint8Array;
}

export interface DuplicateKeyStrings {
  /** (address, port, Identifier): what a new Request Authenticator is compared against. */
  readonly base: string;
  /** The full key the cache is indexed by. */
  readonly full: string;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function credentialDigest(userName: string | Uint8Array, userPassword: string | Uint8Array): string {
  // Hashed so the cache never holds a password, even a hidden one, as a Map key for 30 s.
  // Length-prefixing the name keeps ("ab","c") and ("a","bc") apart.
  const name = typeof userName === 'string' ? Buffer.from(userName, 'utf8') : userName;
  const password = typeof userPassword === 'string' ? Buffer.from(userPassword, 'utf8') : userPassword;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.byteLength);
  return createHash('sha256').update(length).update(name).update(password).digest('base64').slice(0, 22);
}

/** Throws DuplicateKeyError on parts no RADIUS packet can carry. */
export function checkDuplicateKeyParts(parts: DuplicateKeyParts): void {
  const { clientAddress, clientPort, identifier, requestAuthenticator } = parts;
  if (clientAddress.length === 0 || clientAddress.includes(SEPARATOR)) {
    throw new DuplicateKeyError(`clientAddress ${JSON.stringify(clientAddress)} is not an address literal`);
  }
  if (!Number.isInteger(clientPort) || clientPort < 0 || clientPort > 65_535) {
    throw new DuplicateKeyError(`clientPort ${clientPort} is not a UDP port (0..65535)`);
  }
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 255) {
    throw new DuplicateKeyError(`identifier ${identifier} is not a RADIUS Identifier (0..255, RFC 2865 3)`);
  }
  if (requestAuthenticator.byteLength !== REQUEST_AUTHENTICATOR_LENGTH) {
    throw new DuplicateKeyError(
      `requestAuthenticator is ${requestAuthenticator.byteLength} octets; RFC 2865 3 makes it 16`,
    );
  }
}

/**
 * The key as strings, for logs and tests (the cache itself keys on fields, slot-store.ts); throws
 * DuplicateKeyError on parts no RADIUS packet can carry.
 */
export function duplicateKeyStrings(
  parts: DuplicateKeyParts,
  includeCredentials: boolean,
): DuplicateKeyStrings {
  checkDuplicateKeyParts(parts);
  const { clientAddress, clientPort, identifier, requestAuthenticator } = parts;
  const base = `${clientAddress}${SEPARATOR}${clientPort}${SEPARATOR}${identifier}`;
  let full = `${base}${SEPARATOR}${toBase64(requestAuthenticator)}`;
  if (includeCredentials) {
    full += SEPARATOR + credentialDigest(parts.userName ?? '', parts.userPassword ?? '');
  }
  return { base, full };
}
