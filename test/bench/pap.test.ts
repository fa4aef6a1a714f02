// Smoke test of bench/pap.ts with tiny counts against a real FreeRADIUS and a `radmfa serve` child
// process. Checks the JSON shape, that every login was accepted by both, and that the report says
// the comparison is end to end; performance is never asserted.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NetworkResults } from '../../bench/network-bench.ts';
import { demoUsers, papBench } from '../../bench/pap.ts';
import { captureIo, runBenchCli } from '../../bench/script.ts';
import { requireTools } from '../../peers/tools.ts';

const tools = requireTools(['freeradius']);
const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-bench-pap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!tools.available)('bench/pap.ts', () => {
  it(
    'logs every demo user in on both servers and reports an end-to-end ratio',
    { timeout: 60_000 },
    async () => {
      const out = path.join(dir, 'bench-pap.json');
      const io = captureIo();
      const outcome = await runBenchCli(
        papBench,
        ['--count', '32', '--concurrency', '4', '--rounds', '1', '--warmup', '8', '--out', out],
        io,
      );
      expect(outcome.exitCode).toBe(0);
      const report = JSON.parse(readFileSync(out, 'utf8')) as {
        schemaVersion: number;
        name: string;
        params: Record<string, unknown>;
        results: NetworkResults;
      };
      expect(report.schemaVersion).toBe(1);
      expect(report.name).toBe('pap');
      expect(report.params).toMatchObject({ count: 32, concurrency: 4, rounds: 1, radmfaProcess: 'child' });
      for (const name of ['freeradius', 'radmfa'] as const) {
        expect(report.results.targets[name].totals).toEqual({
          sent: 32,
          ok: 32,
          notOk: 0,
          invalid: 0,
          timeouts: 0,
          unfinished: 0,
        });
      }
      expect(report.results.targets.radmfa.description).toContain('child process');
      expect(report.results.workload).toContain(`${demoUsers.length} demo users`);
      expect(report.results.notes.join(' ')).toContain('Not like for like');
      expect(report.results.ratios.throughput).toBeGreaterThan(0);
      expect(report.results.ratios.ofBaseline?.radmfa).toBeGreaterThan(0);
      expect(io.printed.join('\n')).toContain('baseline');
    },
  );
});
