import { describe, expect, it } from 'vitest';
import { PacketCode, buildRequest, decodeAttributes, decodePacket } from '../../protocol/index.ts';
import { validateAccountingRecord } from '../../reference/accounting/index.ts';
import { accountingRecordOf } from '../../reference/accounting-request.ts';

describe('accountingRecordOf', () => {
  it('maps an Accounting-Request to a record, and never keeps a hidden value', () => {
    const built = buildRequest({
      code: PacketCode.AccountingRequest,
      identifier: 3,
      secret: 's3cret',
      attributes: [
        { name: 'Acct-Status-Type', value: 'Stop' },
        { name: 'Acct-Session-Id', value: 'sess-1' },
        { name: 'User-Name', value: 'alice' },
        { name: 'Acct-Session-Time', value: 600 },
        { name: 'Acct-Input-Octets', value: 1000 },
        { name: 'Acct-Input-Gigawords', value: 1 },
        { name: 'Framed-IP-Address', value: '10.0.0.7' },
        { name: 'Tunnel-Password', value: 'not-for-the-database', tag: 1 },
      ],
    });
    const decoded = decodePacket(built.bytes);
    if (!decoded.ok) throw new Error(decoded.message);
    const attrs = decodeAttributes(decoded.value.attributes, {
      secret: 's3cret',
      requestAuthenticator: decoded.value.authenticator,
    });
    const record = accountingRecordOf(decoded.value, attrs, { address: '127.0.0.1', port: 4000 }, 1_000);
    expect(record).toMatchObject({
      statusType: 2,
      sessionId: 'sess-1',
      userName: 'alice',
      sessionTimeS: 600,
      inputOctets: 1000,
      inputGigawords: 1,
      framedIpAddress: '10.0.0.7',
      clientAddress: '127.0.0.1',
      clientPort: 4000,
      identifier: 3,
    });
    expect(record?.attributes.find((a) => a.name === 'Tunnel-Password')?.value).toBe('<hidden>');
    expect(JSON.stringify(record?.attributes)).not.toContain('not-for-the-database');
  });

  it('stamps whole milliseconds even when the clock reads between two', () => {
    const built = buildRequest({
      code: PacketCode.AccountingRequest,
      identifier: 4,
      secret: 's',
      attributes: [{ name: 'Acct-Status-Type', value: 'Start' }],
    });
    const decoded = decodePacket(built.bytes);
    if (!decoded.ok) throw new Error(decoded.message);
    const record = accountingRecordOf(
      decoded.value,
      decodeAttributes(decoded.value.attributes),
      { address: '127.0.0.1', port: 1 },
      1_736_154_004_487.2856,
    );
    expect(record?.receivedAtMs).toBe(1_736_154_004_487);
    if (record !== undefined) expect(() => validateAccountingRecord(record)).not.toThrow();
  });

  it('has no record for a request without Acct-Status-Type', () => {
    const built = buildRequest({
      code: PacketCode.AccountingRequest,
      identifier: 1,
      secret: 's',
      attributes: [{ name: 'User-Name', value: 'x' }],
    });
    const decoded = decodePacket(built.bytes);
    if (!decoded.ok) throw new Error(decoded.message);
    expect(
      accountingRecordOf(
        decoded.value,
        decodeAttributes(decoded.value.attributes),
        { address: '::1', port: 1 },
        0,
      ),
    ).toBeUndefined();
  });
});
