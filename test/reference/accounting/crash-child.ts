// Child process for crash.test.ts: records rows and prints "ACKED <n>" after each record() returns,
// as a server would send the Accounting-Response. The parent kills it with SIGKILL.
// Usage: node --import tsx crash-child.ts DB_PATH once|stream

import { openAccountingStore } from '../../../reference/accounting/store.ts';
import { startRecord } from './fixtures.ts';

const [dbPath, mode] = process.argv.slice(2);
if (dbPath === undefined || (mode !== 'once' && mode !== 'stream')) {
  process.stderr.write('usage: crash-child.ts DB_PATH once|stream\n');
  process.exit(2);
}

const store = openAccountingStore(dbPath);
const rows = mode === 'once' ? 1 : 100_000;
for (let n = 0; n < rows; n++) {
  store.record(startRecord(n));
  process.stdout.write(`ACKED ${n}\n`);
}
// Wait to be killed; exit on our own only if the parent never does (a bound, not a path under test).
setTimeout(() => process.exit(3), 30_000);
