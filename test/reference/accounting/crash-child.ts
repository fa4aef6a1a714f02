// Child process for crash.test.ts: records rows and prints "ACKED <n>" after each record() returns,
// as a server would send the Accounting-Response. The parent kills it with SIGKILL.
// Usage: node --import tsx crash-child.ts DB_PATH once|stream|group
// group: bursts of 32 records submitted at once through the GroupCommitter (one transaction each),
// "ACKED <n>" printed as each record's commit resolves, as the server sends its Accounting-Response.

import { GroupCommitter } from '../../../reference/accounting/group-commit.ts';
import { openAccountingStore } from '../../../reference/accounting/store.ts';
import { startRecord } from './fixtures.ts';

const [dbPath, mode] = process.argv.slice(2);
if (dbPath === undefined || (mode !== 'once' && mode !== 'stream' && mode !== 'group')) {
  process.stderr.write('usage: crash-child.ts DB_PATH once|stream|group\n');
  process.exit(2);
}

const store = openAccountingStore(dbPath);
if (mode === 'group') {
  const committer = new GroupCommitter(store);
  for (let burst = 0; burst < 3000; burst++) {
    const acks = Array.from({ length: 32 }, (_, i) => {
      const n = burst * 32 + i;
      return committer.submit(startRecord(n)).then(() => process.stdout.write(`ACKED ${n}\n`));
    });
    await Promise.all(acks);
  }
} else {
  const rows = mode === 'once' ? 1 : 100_000;
  for (let n = 0; n < rows; n++) {
    store.record(startRecord(n));
    process.stdout.write(`ACKED ${n}\n`);
  }
}
// Wait to be killed; exit on our own only if the parent never does (a bound, not a path under test).
setTimeout(() => process.exit(3), 30_000);
