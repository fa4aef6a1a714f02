export { AccountingStoreError } from './errors.ts';
export type { AccountingErrorCode } from './errors.ts';
export { AcctStatusType, naturalKey, octetTotal, validateAccountingRecord } from './record.ts';
export type {
  AccountingAttribute,
  AccountingRecordInput,
  JsonValue,
  StoredAccountingRecord,
} from './record.ts';
export { ACCOUNTING_SCHEMA_VERSION } from './schema.ts';
export { openAccountingStore } from './store.ts';
export type {
  AccountingDurability,
  AccountingListFilter,
  AccountingRecordResult,
  AccountingStore,
  AccountingStoreOptions,
} from './store.ts';
