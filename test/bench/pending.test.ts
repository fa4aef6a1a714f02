// Smoke test of bench/pending.ts with a few pending logins: radmfa serve starts, every MFA login
// reaches the mock and stays pending, the non-MFA logins are all accepted, memory is read, and the
// JSON has its shape. Performance is never asserted here.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pendingBench, type PendingResults } from '../../bench/pending.ts';
import { captureIo, EXIT_INVALID_PARAMS, runBenchCli } from '../../bench/script.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('bench/pending.ts', () => {
  it('holds MFA logins pending while non-MFA logins are accepted, and writes the report', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-bench-pending-'));
    dirs.push(dir);
    const out = path.join(dir, 'bench-pending.json');
    const io = captureIo();
    const outcome = await runBenchCli(
      pendingBench,
      ['--pending', '40', '--rate', '20', '--probe-seconds', '1', '--samples', '1', '--out', out],
      io,
    );
    expect(outcome.exitCode).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      schemaVersion: number;
      name: string;
      results: PendingResults;
    };
    expect(report).toMatchObject({ schemaVersion: 1, name: 'pending' });
    const { results } = report;
    expect(results.pendingReached).toBe(40);
    expect(results.pendingEnded).toEqual({ replies: 0, timeouts: 0 });
    for (const probe of [results.probe, results.probeAlone]) {
      expect(probe.sent).toBe(20);
      expect(probe.accepted).toBe(20);
      expect(probe.timeouts).toBe(0);
      // The harness's own loop delay is measured (a sleeping loop is held at least ~1 ms).
      expect(probe.harnessLoopDelayMaxMs).toBeGreaterThan(0);
    }
    expect(results.before.rssBytes).toBeGreaterThan(0);
    expect(results.during.heapUsedBytes).toBeGreaterThan(0);
    expect(io.printed.join('\n')).toContain('per pending login');
  }, 120_000);

  it('refuses more pending logins than the descriptors allow, with exit 104', async () => {
    const io = captureIo();
    const outcome = await runBenchCli(pendingBench, ['--pending', '100000'], io);
    expect(outcome.exitCode).toBe(EXIT_INVALID_PARAMS);
    expect(io.printed.join('\n')).toContain('--pending');
  });
});
