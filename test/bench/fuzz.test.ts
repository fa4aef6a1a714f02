// Smoke test of bench/fuzz.ts with a tiny count: the same path the command line takes, the report's
// shape, the seed kept for replay, and the same seed sending the same datagrams.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzBench } from '../../bench/fuzz.ts';
import { EXIT_INVALID_PARAMS, captureIo, runBenchCli } from '../../bench/script.ts';
import { batchCases, type FuzzSummary } from '../../scenarios/fuzz/run.ts';
import { datagramOf } from '../../scenarios/fuzz/datagrams.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-bench-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench/fuzz.ts', () => {
  it(
    'runs, writes a versioned report with the seed, and exits 0 without violations',
    { timeout: 60_000 },
    async () => {
      const out = path.join(dir, 'bench-fuzz.json');
      const io = captureIo();
      const outcome = await runBenchCli(
        fuzzBench,
        ['--count', '300', '--seed', '77', '--batch', '100', '--out', out],
        io,
      );
      expect(outcome.exitCode).toBe(0);
      const report = JSON.parse(readFileSync(out, 'utf8')) as { name: string; results: FuzzSummary };
      expect(report.name).toBe('fuzz');
      expect(report.results).toMatchObject({ seed: 77, sent: 300, batches: 3, violationCount: 0, lost: 0 });
      expect(report.results.probes).toEqual({ sent: 3, accepted: 3 });
      expect(io.printed.join('\n')).toContain('violations: none');
    },
  );

  it('replays: the same seed and batch give the same datagrams', () => {
    const a = batchCases(77, 5, 50).map((c) => datagramOf(c, 's').toString('hex'));
    const b = batchCases(77, 5, 50).map((c) => datagramOf(c, 's').toString('hex'));
    expect(a).toEqual(b);
    expect(batchCases(78, 5, 50).map((c) => datagramOf(c, 's').toString('hex'))).not.toEqual(a);
  });

  it('refuses bad flags with exit 104', async () => {
    const outcome = await runBenchCli(fuzzBench, ['--count', '0', '--batch', 'x'], captureIo());
    expect(outcome.exitCode).toBe(EXIT_INVALID_PARAMS);
  });
});
