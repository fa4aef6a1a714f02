import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decryptMppeKey,
  eapMsChapV2Msk,
  encryptMppeKeys,
  getAsymmetricStartKey,
  getMasterKey,
  mppeKeysFromMsk,
  msChapV2MppeKeys,
  mskFromMppeKeys,
} from '../../../protocol/auth/mppe.ts';
import { ntPasswordHash } from '../../../protocol/auth/mschap.ts';
import { saltFromRandom } from '../../../protocol/auth/pap.ts';
import rfc3079 from '../../vectors/rfc3079.json' with { type: 'json' };

const hex = (text: string) => Buffer.from(text, 'hex');
const master = hex(rfc3079.masterKey);

describe('MPPE keys from MS-CHAPv2 (RFC 3079 3.5)', () => {
  it('derives the master key', () => {
    expect(ntPasswordHash(rfc3079.password).toString('hex')).toBe(rfc3079.passwordHash);
    expect(getMasterKey(hex(rfc3079.passwordHashHash), hex(rfc3079.ntResponse)).toString('hex')).toBe(
      rfc3079.masterKey,
    );
  });

  it('derives the server send start keys of 3.5.1 (40-bit), 3.5.2 (56-bit) and 3.5.3 (128-bit)', () => {
    expect(getAsymmetricStartKey(master, 8, true, true).toString('hex')).toBe(rfc3079.sendStartKey40);
    expect(getAsymmetricStartKey(master, 8, true, true).toString('hex')).toBe(rfc3079.sendStartKey56);
    expect(getAsymmetricStartKey(master, 16, true, true).toString('hex')).toBe(rfc3079.sendStartKey128);
  });

  it("pairs each side's send key with the other side's receive key", () => {
    expect(
      getAsymmetricStartKey(master, 16, false, false).equals(getAsymmetricStartKey(master, 16, true, true)),
    ).toBe(true);
    expect(
      getAsymmetricStartKey(master, 16, true, false).equals(getAsymmetricStartKey(master, 16, false, true)),
    ).toBe(true);
    expect(
      getAsymmetricStartKey(master, 16, true, true).equals(getAsymmetricStartKey(master, 16, false, true)),
    ).toBe(false);
  });

  it('puts the server send key in MS-MPPE-Send-Key and the receive key in MS-MPPE-Recv-Key, like FreeRADIUS', () => {
    const keys = msChapV2MppeKeys(hex(rfc3079.passwordHash), hex(rfc3079.ntResponse));
    expect(keys.sendKey.toString('hex')).toBe(rfc3079.sendStartKey128);
    expect(keys.recvKey.equals(getAsymmetricStartKey(master, 16, false, true))).toBe(true);
  });

  it('builds the EAP-MSCHAPv2 MSK as peer send key || peer receive key, Recv-Key first in RADIUS', () => {
    const msk = eapMsChapV2Msk(hex(rfc3079.passwordHash), hex(rfc3079.ntResponse));
    expect(msk.length).toBe(32);
    expect(msk.subarray(0, 16).equals(getAsymmetricStartKey(master, 16, true, false))).toBe(true);
    expect(msk.subarray(16).equals(getAsymmetricStartKey(master, 16, false, false))).toBe(true);
    const keys = mppeKeysFromMsk(msk);
    const plain = msChapV2MppeKeys(hex(rfc3079.passwordHash), hex(rfc3079.ntResponse));
    expect(keys.recvKey.equals(plain.recvKey) && keys.sendKey.equals(plain.sendKey)).toBe(true);
    expect(mskFromMppeKeys(keys).equals(msk)).toBe(true);
    expect(() => mppeKeysFromMsk(Buffer.alloc(33))).toThrow(/ERR_AUTH_BAD_LENGTH/);
  });

  it('splits a 64-octet MSK into two 32-octet keys', () => {
    const msk = Buffer.from([...Array(64).keys()]);
    const keys = mppeKeysFromMsk(msk);
    expect(keys.recvKey.equals(msk.subarray(0, 32)) && keys.sendKey.equals(msk.subarray(32))).toBe(true);
  });

  it('encrypts the keys into 34-octet attribute values the client decrypts again', () => {
    const auth = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a));
    const salts = fc
      .tuple(fc.uint8Array({ minLength: 2, maxLength: 2 }), fc.uint8Array({ minLength: 2, maxLength: 2 }))
      .map(([a, b]) => [saltFromRandom(a), saltFromRandom(b)] as const)
      .filter(([a, b]) => !a.equals(b));
    fc.assert(
      fc.property(
        auth,
        salts,
        fc.string({ minLength: 1, maxLength: 30, size: 'max' }),
        (requestAuthenticator, [sendSalt, recvSalt], secret) => {
          const keys = msChapV2MppeKeys(hex(rfc3079.passwordHash), hex(rfc3079.ntResponse));
          const values = encryptMppeKeys({ keys, secret, requestAuthenticator, sendSalt, recvSalt });
          expect(values.msMppeSendKey.length).toBe(34);
          expect(values.msMppeRecvKey.length).toBe(34);
          const send = decryptMppeKey(values.msMppeSendKey, secret, requestAuthenticator);
          const recv = decryptMppeKey(values.msMppeRecvKey, secret, requestAuthenticator);
          expect(send.ok && send.value.equals(keys.sendKey)).toBe(true);
          expect(recv.ok && recv.value.equals(keys.recvKey)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses the same salt for both keys (RFC 2548 2.4.2)', () => {
    const keys = { sendKey: Buffer.alloc(16), recvKey: Buffer.alloc(16) };
    const salt = hex('8001');
    expect(() =>
      encryptMppeKeys({
        keys,
        secret: 's',
        requestAuthenticator: Buffer.alloc(16),
        sendSalt: salt,
        recvSalt: salt,
      }),
    ).toThrow(/ERR_AUTH_BAD_SALT/);
  });
});
