// Accounting records shared by the store tests and the crash child process.

import type { AccountingRecordInput } from '../../../reference/accounting/record.ts';
import { AcctStatusType } from '../../../reference/accounting/record.ts';

export function authenticatorFor(n: number): Buffer {
  const auth = Buffer.alloc(16);
  auth.writeUInt32BE(n >>> 0, 0);
  auth.writeUInt32BE(0x5eed, 12);
  return auth;
}

export function startRecord(
  n: number,
  overrides: Partial<AccountingRecordInput> = {},
): AccountingRecordInput {
  return {
    receivedAtMs: 1_700_000_000_000 + n * 1000,
    clientAddress: '192.0.2.1',
    clientPort: 40_000,
    identifier: n % 256,
    requestAuthenticator: authenticatorFor(n),
    statusType: AcctStatusType.Start,
    nasIpAddress: '192.0.2.1',
    nasIdentifier: 'vpn-1',
    userName: `user${n}@example.com`,
    sessionId: `sess-${n}`,
    delayTimeS: 0,
    framedIpAddress: '10.8.0.2',
    attributes: [
      { name: 'Acct-Status-Type', type: 40, value: 'Start' },
      { name: 'Acct-Session-Id', type: 44, value: `sess-${n}` },
      { name: 'Class', type: 25, value: '0x6d6661' },
    ],
    ...overrides,
  };
}
