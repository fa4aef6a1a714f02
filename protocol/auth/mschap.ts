// MS-CHAP crypto: version 2 (RFC 2759 8) and the NT half of version 1 (RFC 2433 A), which
// `radtest -t mschap` sends. Everything takes the NT password hash, not the password, because a
// directory such as Samba's sambaNTPassword holds only the hash.
import { requireLength } from './errors.ts';
import { desEncryptBlock } from './des.ts';
import { equalBytes, sha1 } from './bytes.ts';
import { md4 } from './md4.ts';

export const NT_HASH_LENGTH = 16;
export const MSCHAPV2_CHALLENGE_LENGTH = 16;
export const MSCHAPV1_CHALLENGE_LENGTH = 8;
export const NT_RESPONSE_LENGTH = 24;
const AUTHENTICATOR_RESPONSE_HEX_LENGTH = 40;

// RFC 2759 8.7 GenerateAuthenticatorResponse constants, kept as text because that is what they are.
const AUTHENTICATOR_MAGIC_1 = Buffer.from('Magic server to client signing constant', 'ascii');
const AUTHENTICATOR_MAGIC_2 = Buffer.from('Pad to make it do more than one iteration', 'ascii');

/** NtPasswordHash (RFC 2759 8.3): MD4 over the password in UTF-16LE ("Unicode" in the RFC). */
export function ntPasswordHash(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}

/** HashNtPasswordHash (RFC 2759 8.4): MD4 of the NT hash; the input of the MPPE master key. */
export function hashNtPasswordHash(ntHash: Buffer): Buffer {
  requireLength('NT password hash', ntHash, NT_HASH_LENGTH);
  return md4(ntHash);
}

/**
 * The user name the MS-CHAPv2 ChallengeHash covers: RFC 2759 8.2 excludes any prepended domain, so
 * "DOMAIN\\user" hashes as "user" (what Windows peers, wpa_supplicant and FreeRADIUS's
 * with_ntdomain_hack do). The domain ends at the first backslash.
 */
export function stripNtDomain(userName: string): string {
  const slash = userName.indexOf('\\');
  return slash < 0 ? userName : userName.slice(slash + 1);
}

/**
 * ChallengeHash (RFC 2759 8.2): the first 8 octets of SHA1(PeerChallenge || AuthenticatorChallenge
 * || UserName). A domain prefix on `userName` is stripped here, as the RFC requires.
 */
export function challengeHash(
  peerChallenge: Buffer,
  authenticatorChallenge: Buffer,
  userName: string,
): Buffer {
  requireLength('Peer-Challenge', peerChallenge, MSCHAPV2_CHALLENGE_LENGTH);
  requireLength('Authenticator-Challenge', authenticatorChallenge, MSCHAPV2_CHALLENGE_LENGTH);
  const name = Buffer.from(stripNtDomain(userName), 'utf8');
  return sha1(peerChallenge, authenticatorChallenge, name).subarray(0, 8);
}

/**
 * ChallengeResponse (RFC 2759 8.5, RFC 2433 A.5): the NT hash zero-padded to 21 octets gives three
 * 7-octet DES keys, each encrypting the 8-octet challenge.
 */
export function challengeResponse(challenge: Buffer, ntHash: Buffer): Buffer {
  requireLength('challenge', challenge, MSCHAPV1_CHALLENGE_LENGTH);
  requireLength('NT password hash', ntHash, NT_HASH_LENGTH);
  const keys = Buffer.concat([ntHash, Buffer.alloc(5)]);
  return Buffer.concat([0, 7, 14].map((at) => desEncryptBlock(keys.subarray(at, at + 7), challenge)));
}

/** GenerateNTResponse (RFC 2759 8.1) from the NT hash. */
export function generateNtResponse(
  authenticatorChallenge: Buffer,
  peerChallenge: Buffer,
  userName: string,
  ntHash: Buffer,
): Buffer {
  return challengeResponse(challengeHash(peerChallenge, authenticatorChallenge, userName), ntHash);
}

/** Server side of RFC 2759 8.1: recomputes the NT-Response and compares in constant time. */
export function verifyNtResponse(
  authenticatorChallenge: Buffer,
  peerChallenge: Buffer,
  userName: string,
  ntHash: Buffer,
  ntResponse: Buffer,
): boolean {
  return equalBytes(ntResponse, generateNtResponse(authenticatorChallenge, peerChallenge, userName, ntHash));
}

/**
 * GenerateAuthenticatorResponse (RFC 2759 8.7): "S=" and 40 upper-case hex digits, proving to the
 * peer that the server knew the password hash too.
 */
export function generateAuthenticatorResponse(
  ntHash: Buffer,
  ntResponse: Buffer,
  peerChallenge: Buffer,
  authenticatorChallenge: Buffer,
  userName: string,
): string {
  requireLength('NT-Response', ntResponse, NT_RESPONSE_LENGTH);
  const first = sha1(hashNtPasswordHash(ntHash), ntResponse, AUTHENTICATOR_MAGIC_1);
  const challenge = challengeHash(peerChallenge, authenticatorChallenge, userName);
  const digest = sha1(first, challenge, AUTHENTICATOR_MAGIC_2);
  return `S=${digest.toString('hex').toUpperCase()}`;
}

/**
 * CheckAuthenticatorResponse (RFC 2759 8.8), the peer's check of the server. The hex digits are
 * compared without regard to case; anything that is not "S=" and 40 hex digits fails.
 */
export function checkAuthenticatorResponse(
  ntHash: Buffer,
  ntResponse: Buffer,
  peerChallenge: Buffer,
  authenticatorChallenge: Buffer,
  userName: string,
  received: string,
): boolean {
  const pattern = new RegExp(`^[Ss]=[0-9A-Fa-f]{${AUTHENTICATOR_RESPONSE_HEX_LENGTH}}$`);
  if (!pattern.test(received)) return false;
  const expected = generateAuthenticatorResponse(
    ntHash,
    ntResponse,
    peerChallenge,
    authenticatorChallenge,
    userName,
  );
  return equalBytes(Buffer.from(received.slice(2), 'hex'), Buffer.from(expected.slice(2), 'hex'));
}

/** NtChallengeResponse of MS-CHAP v1 (RFC 2433 A.5): the 8-octet challenge straight into DES. */
export function ntChallengeResponseV1(challenge: Buffer, ntHash: Buffer): Buffer {
  return challengeResponse(challenge, ntHash);
}

/** Server side of MS-CHAP v1 with the NT-Response (RFC 2433 A.5). */
export function verifyNtResponseV1(challenge: Buffer, ntHash: Buffer, ntResponse: Buffer): boolean {
  return equalBytes(ntResponse, ntChallengeResponseV1(challenge, ntHash));
}
