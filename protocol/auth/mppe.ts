// MPPE key derivation from MS-CHAPv2 (RFC 3079 3), and the keys' RADIUS form (RFC 2548 2.4.2/2.4.3).
//
// Which key goes where, checked against FreeRADIUS 3 (rlm_mschap) and wpa_supplicant:
// - MS-MPPE-Send-Key carries the key the NAS sends with, i.e. the server's send key
//   (GetAsymmetricStartKey IsSend = IsServer = TRUE, Magic3); MS-MPPE-Recv-Key the server's receive
//   key (Magic2). Both 16 octets ("128-bit").
// - EAP-MSCHAPv2's MSK is 32 octets: server receive key || server send key, which is the peer's
//   send key || receive key. So in an Access-Accept, MS-MPPE-Recv-Key = MSK[0..16) and
//   MS-MPPE-Send-Key = MSK[16..32): the same attributes as plain MS-CHAPv2. eapol_test rebuilds
//   its PMK as Recv-Key || Send-Key and compares it with the peer's MSK.
import { AuthInputError, requireLength } from './errors.ts';
import { hashNtPasswordHash, NT_RESPONSE_LENGTH } from './mschap.ts';
import { saltDecrypt, saltEncrypt, type SaltDecryptFailureCode } from './pap.ts';
import { sha1 } from './bytes.ts';
import type { Result } from './result.ts';

export const MPPE_MASTER_KEY_LENGTH = 16;
/** Key length for 128-bit MPPE, the length FreeRADIUS and eapol_test use. */
export const MPPE_KEY_LENGTH = 16;
export const EAP_MSCHAPV2_MSK_LENGTH = 32;

// RFC 3079 3.4 constants. They are English sentences, kept as text.
const MAGIC_1 = Buffer.from('This is the MPPE Master Key', 'ascii');
const MAGIC_2 = Buffer.from(
  'On the client side, this is the send key; on the server side, it is the receive key.',
  'ascii',
);
const MAGIC_3 = Buffer.from(
  'On the client side, this is the receive key; on the server side, it is the send key.',
  'ascii',
);
const SHS_PAD_1 = Buffer.alloc(40, 0x00);
const SHS_PAD_2 = Buffer.alloc(40, 0xf2);

/** GetMasterKey (RFC 3079 3.4): first 16 octets of SHA1(PasswordHashHash || NT-Response || Magic1). */
export function getMasterKey(passwordHashHash: Buffer, ntResponse: Buffer): Buffer {
  requireLength('PasswordHashHash', passwordHashHash, 16);
  requireLength('NT-Response', ntResponse, NT_RESPONSE_LENGTH);
  return sha1(passwordHashHash, ntResponse, MAGIC_1).subarray(0, MPPE_MASTER_KEY_LENGTH);
}

/**
 * GetAsymmetricStartKey (RFC 3079 3.4). The client's send key is the server's receive key, so the
 * constant depends on isSend XOR isServer. keyLength is 8 (40/56-bit) or 16 (128-bit).
 */
export function getAsymmetricStartKey(
  masterKey: Buffer,
  keyLength: 8 | 16,
  isSend: boolean,
  isServer: boolean,
): Buffer {
  requireLength('MasterKey', masterKey, MPPE_MASTER_KEY_LENGTH);
  const magic = isSend === isServer ? MAGIC_3 : MAGIC_2;
  return sha1(masterKey, SHS_PAD_1, magic, SHS_PAD_2).subarray(0, keyLength);
}

export interface MppeKeys {
  /** Goes into MS-MPPE-Send-Key: the server (NAS) encrypts with it. */
  readonly sendKey: Buffer;
  /** Goes into MS-MPPE-Recv-Key: the server (NAS) decrypts with it. */
  readonly recvKey: Buffer;
}

/** The server's 128-bit MPPE keys after a successful MS-CHAPv2 exchange, as FreeRADIUS derives them. */
export function msChapV2MppeKeys(ntHash: Buffer, ntResponse: Buffer): MppeKeys {
  const master = getMasterKey(hashNtPasswordHash(ntHash), ntResponse);
  return {
    sendKey: getAsymmetricStartKey(master, MPPE_KEY_LENGTH, true, true),
    recvKey: getAsymmetricStartKey(master, MPPE_KEY_LENGTH, false, true),
  };
}

/** EAP-MSCHAPv2 MSK (as wpa_supplicant and hostapd export it): server receive key || server send key. */
export function eapMsChapV2Msk(ntHash: Buffer, ntResponse: Buffer): Buffer {
  const keys = msChapV2MppeKeys(ntHash, ntResponse);
  return Buffer.concat([keys.recvKey, keys.sendKey]);
}

/**
 * The MS-MPPE keys an Access-Accept carries for an EAP method's MSK: Recv-Key is the first half,
 * Send-Key the second (RFC 2548 usage as in RFC 5216 2.3: 32 + 32 of a 64-octet MSK; 16 + 16 of
 * EAP-MSCHAPv2's 32-octet MSK).
 */
export function mppeKeysFromMsk(msk: Buffer): MppeKeys {
  if (msk.length === 0 || msk.length % 2 !== 0) {
    throw new AuthInputError(
      'ERR_AUTH_BAD_LENGTH',
      `MSK must have a non-zero even length, got ${msk.length}`,
    );
  }
  const half = msk.length / 2;
  return { recvKey: msk.subarray(0, half), sendKey: msk.subarray(half) };
}

/** Inverse of mppeKeysFromMsk, for a client rebuilding the MSK from the Access-Accept. */
export function mskFromMppeKeys(keys: MppeKeys): Buffer {
  return Buffer.concat([keys.recvKey, keys.sendKey]);
}

export interface MppeAttributeValues {
  readonly msMppeSendKey: Buffer;
  readonly msMppeRecvKey: Buffer;
}

export interface EncryptMppeKeysInput {
  readonly keys: MppeKeys;
  readonly secret: Buffer | string;
  /** The Access-Request's Request Authenticator (RFC 2548 2.4.2). */
  readonly requestAuthenticator: Buffer;
  /** Two distinct salts, high bit set: RFC 2548 2.4.2 requires each salt in a packet to be unique. */
  readonly sendSalt: Buffer;
  readonly recvSalt: Buffer;
}

/** Salt-encrypts both keys into the values of MS-MPPE-Send-Key and MS-MPPE-Recv-Key. */
export function encryptMppeKeys(input: EncryptMppeKeysInput): MppeAttributeValues {
  if (input.sendSalt.equals(input.recvSalt)) {
    throw new AuthInputError('ERR_AUTH_BAD_SALT', 'Send-Key and Recv-Key salts must differ (RFC 2548 2.4.2)');
  }
  return {
    msMppeSendKey: saltEncrypt(input.keys.sendKey, input.secret, input.requestAuthenticator, input.sendSalt),
    msMppeRecvKey: saltEncrypt(input.keys.recvKey, input.secret, input.requestAuthenticator, input.recvSalt),
  };
}

/** Client side: recovers one key from an MS-MPPE-Send-Key or MS-MPPE-Recv-Key value. */
export function decryptMppeKey(
  value: Buffer,
  secret: Buffer | string,
  requestAuthenticator: Buffer,
): Result<Buffer, SaltDecryptFailureCode> {
  return saltDecrypt(value, secret, requestAuthenticator);
}
