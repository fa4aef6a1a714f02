// RFC 2865 5.2 User-Password hiding, and the salted variant of RFC 2868 3.5 (Tunnel-Password) that
// RFC 2548 2.4.2/2.4.3 reuses for MS-MPPE-Send-Key and MS-MPPE-Recv-Key.
import { AuthInputError, requireLength } from './errors.ts';
import { secretOctets } from '../authenticators.ts';
import { md5TwoInto } from '../md5.ts';
import { toBytes } from './bytes.ts';
import { failWith, ok, type Result } from './result.ts';

export const REQUEST_AUTHENTICATOR_LENGTH = 16;
const BLOCK = 16;
/** RFC 2865 5.2: the hidden password is at most 128 octets. */
export const MAX_USER_PASSWORD_LENGTH = 128;
export const SALT_LENGTH = 2;
/**
 * Largest salted-encryption ciphertext that fits an attribute: a vendor-specific attribute leaves
 * 253 - 6 (VSA header) - 2 (sub-attribute header) - 2 (salt) = 243 octets, so 15 blocks = 240.
 * Tunnel-Password (253 - tag - salt = 250) gives the same 240.
 */
export const MAX_SALT_ENCRYPTED_LENGTH = 240;
/** The plaintext carries a one-octet length first (RFC 2868 3.5), leaving 239 for the data. */
export const MAX_SALT_PLAINTEXT_LENGTH = MAX_SALT_ENCRYPTED_LENGTH - 1;

/**
 * The XOR stream both schemes share: b1 = MD5(S + first), bi = MD5(S + c(i-1)) over the ciphertext
 * blocks, so encrypting chains on the output and decrypting on the input.
 */
function chainBlocks(input: Buffer, secret: Buffer, first: Buffer, decrypt: boolean): Buffer {
  const out = Buffer.from(input);
  for (let offset = 0; offset < out.length; offset += BLOCK) {
    md5TwoInto(secret, offset === 0 ? first : previousCipher, keystream, 0);
    const end = Math.min(BLOCK, out.length - offset);
    for (let i = 0; i < end; i++) out[offset + i] = (out[offset + i] as number) ^ (keystream[i] as number);
    // The next block chains on this ciphertext block: copied, not viewed (a Buffer per block was
    // garbage on every PAP request). A short last block is never chained on.
    const cipher = decrypt ? input : out;
    for (let i = 0; i < end; i++) previousCipher[i] = cipher[offset + i] as number;
  }
  return out;
}

/** One keystream block and one ciphertext block, reused: chainBlocks runs without yielding. */
const keystream = new Uint8Array(BLOCK);
const previousCipher = new Uint8Array(BLOCK);

function requireAuthenticator(requestAuthenticator: Uint8Array): void {
  if (requestAuthenticator.length !== REQUEST_AUTHENTICATOR_LENGTH) {
    throw new AuthInputError(
      'ERR_AUTH_BAD_AUTHENTICATOR',
      `Request Authenticator must be 16 octets, got ${requestAuthenticator.length}`,
    );
  }
}

function padToBlock(data: Buffer, prefix: Buffer = Buffer.alloc(0)): Buffer {
  const used = prefix.length + data.length;
  const length = Math.max(BLOCK, Math.ceil(used / BLOCK) * BLOCK);
  const out = Buffer.alloc(length);
  prefix.copy(out, 0);
  data.copy(out, prefix.length);
  return out;
}

/**
 * Hides a PAP password (RFC 2865 5.2). The password is NUL-padded to a multiple of 16 octets; an
 * empty password becomes one block of padding, since the attribute carries at least 16 octets.
 */
export function hideUserPassword(
  password: Buffer | string,
  secret: Buffer | string,
  requestAuthenticator: Buffer,
): Buffer {
  const plain = toBytes(password);
  if (plain.length > MAX_USER_PASSWORD_LENGTH) {
    throw new AuthInputError(
      'ERR_AUTH_PASSWORD_TOO_LONG',
      `User-Password holds at most 128 octets (RFC 2865 5.2), got ${plain.length}`,
    );
  }
  requireAuthenticator(requestAuthenticator);
  return chainBlocks(padToBlock(plain), secretOctets(secret), requestAuthenticator, false);
}

export type RevealFailureCode =
  'hidden-password-empty' | 'hidden-password-not-block-multiple' | 'hidden-password-too-long';

export const revealFailureReasons: Readonly<Record<RevealFailureCode, string>> = {
  'hidden-password-empty': 'User-Password value is empty (RFC 2865 5.2 requires at least 16 octets)',
  'hidden-password-not-block-multiple': 'User-Password length is not a multiple of 16 (RFC 2865 5.2)',
  'hidden-password-too-long': 'User-Password is longer than 128 octets (RFC 2865 5.2)',
};

/**
 * Recovers a PAP password and strips the trailing NUL padding. A wrong secret is not detected
 * here (RFC 2865 has no check value): it yields other bytes, which then fail the password check.
 */
export function revealUserPassword(
  hidden: Buffer,
  secret: Buffer | string,
  requestAuthenticator: Buffer,
): Result<Buffer, RevealFailureCode> {
  requireAuthenticator(requestAuthenticator);
  if (hidden.length === 0) return failWith(revealFailureReasons, 'hidden-password-empty');
  if (hidden.length % BLOCK !== 0) {
    return failWith(revealFailureReasons, 'hidden-password-not-block-multiple', `${hidden.length} octets`);
  }
  if (hidden.length > MAX_USER_PASSWORD_LENGTH) {
    return failWith(revealFailureReasons, 'hidden-password-too-long', `${hidden.length} octets`);
  }
  const padded = chainBlocks(hidden, secretOctets(secret), requestAuthenticator, true);
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end--;
  return ok(padded.subarray(0, end));
}

/** RFC 2868 3.5: the salt's most significant bit MUST be set, so two octets in 0x8000..0xffff. */
export function isValidSalt(salt: Uint8Array): boolean {
  return salt.length === SALT_LENGTH && ((salt[0] ?? 0) & 0x80) !== 0;
}

/** Turns two random octets into a valid salt by setting the high bit (RFC 2868 3.5). */
export function saltFromRandom(random: Uint8Array): Buffer {
  requireLength('salt randomness', random, SALT_LENGTH);
  return Buffer.from([(random[0] ?? 0) | 0x80, random[1] ?? 0]);
}

/**
 * Salt-encrypts `plain` (RFC 2868 3.5, RFC 2548 2.4.2): the plaintext is a length octet, the data
 * and NUL padding to a multiple of 16; b1 = MD5(secret + Request Authenticator + salt). Returns
 * Salt || ciphertext, the value of MS-MPPE-Send/Recv-Key (Tunnel-Password puts its tag first).
 * The Request Authenticator is the Access-Request's, also when the value goes into the reply.
 */
export function saltEncrypt(
  plain: Buffer,
  secret: Buffer | string,
  requestAuthenticator: Buffer,
  salt: Buffer,
): Buffer {
  requireAuthenticator(requestAuthenticator);
  if (!isValidSalt(salt)) {
    throw new AuthInputError(
      'ERR_AUTH_BAD_SALT',
      'salt must be 2 octets with the high bit set (RFC 2868 3.5)',
    );
  }
  if (plain.length > MAX_SALT_PLAINTEXT_LENGTH) {
    throw new AuthInputError(
      'ERR_AUTH_PLAINTEXT_TOO_LONG',
      `at most ${MAX_SALT_PLAINTEXT_LENGTH} octets fit one attribute, got ${plain.length}`,
    );
  }
  const padded = padToBlock(plain, Buffer.from([plain.length]));
  const first = Buffer.concat([requestAuthenticator, salt]);
  return Buffer.concat([salt, chainBlocks(padded, secretOctets(secret), first, false)]);
}

export type SaltDecryptFailureCode =
  | 'salted-too-short'
  | 'salted-not-block-multiple'
  | 'salted-too-long'
  | 'salt-high-bit-clear'
  | 'salted-length-octet-too-large';

export const saltDecryptFailureReasons: Readonly<Record<SaltDecryptFailureCode, string>> = {
  'salted-too-short': 'salt-encrypted value shorter than a 2-octet salt and one 16-octet block',
  'salted-not-block-multiple': 'salt-encrypted ciphertext is not a multiple of 16 octets (RFC 2868 3.5)',
  'salted-too-long': 'salt-encrypted ciphertext is longer than 240 octets, more than an attribute holds',
  'salt-high-bit-clear': 'salt does not have its most significant bit set (RFC 2868 3.5 MUST)',
  'salted-length-octet-too-large':
    'decrypted length octet exceeds the ciphertext (wrong shared secret or Request Authenticator?)',
};

/** Reverses saltEncrypt: takes Salt || ciphertext, returns the data without length octet and padding. */
export function saltDecrypt(
  value: Buffer,
  secret: Buffer | string,
  requestAuthenticator: Buffer,
): Result<Buffer, SaltDecryptFailureCode> {
  requireAuthenticator(requestAuthenticator);
  const reasons = saltDecryptFailureReasons;
  if (value.length < SALT_LENGTH + BLOCK)
    return failWith(reasons, 'salted-too-short', `${value.length} octets`);
  const salt = value.subarray(0, SALT_LENGTH);
  const cipher = value.subarray(SALT_LENGTH);
  if (cipher.length % BLOCK !== 0) return failWith(reasons, 'salted-not-block-multiple');
  if (cipher.length > MAX_SALT_ENCRYPTED_LENGTH) return failWith(reasons, 'salted-too-long');
  if (!isValidSalt(salt)) return failWith(reasons, 'salt-high-bit-clear');
  const first = Buffer.concat([requestAuthenticator, salt]);
  const padded = chainBlocks(cipher, secretOctets(secret), first, true);
  const length = padded[0] ?? 0;
  if (length > padded.length - 1) return failWith(reasons, 'salted-length-octet-too-large', `${length}`);
  return ok(padded.subarray(1, 1 + length));
}
