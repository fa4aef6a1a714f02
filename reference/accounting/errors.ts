export type AccountingErrorCode =
  | 'RADMFA_ACCOUNTING_RECORD_INVALID'
  | 'RADMFA_ACCOUNTING_OPEN_FAILED'
  | 'RADMFA_ACCOUNTING_SCHEMA_TOO_NEW'
  | 'RADMFA_ACCOUNTING_WRITE_FAILED'
  | 'RADMFA_ACCOUNTING_CLOSED';

/**
 * Every failure of the accounting store. On RADMFA_ACCOUNTING_WRITE_FAILED the caller must not send
 * the Accounting-Response: RFC 2866 2 says a server that cannot record the packet MUST NOT
 * acknowledge it, so the NAS retransmits or fails over and the record is not lost.
 */
export class AccountingStoreError extends Error {
  constructor(
    readonly code: AccountingErrorCode,
    message: string,
    /** For RADMFA_ACCOUNTING_RECORD_INVALID: the offending field of the record. */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AccountingStoreError';
  }
}
