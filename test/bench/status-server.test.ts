// Smoke test of bench/status-server.ts with tiny counts against a real FreeRADIUS and radmfa (here
// in process, without the baseline: the modes the pap smoke test does not use). Checks the JSON shape and that every
// request was answered; performance is never asserted.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NetworkResults } from '../../bench/network-bench.ts';
import { captureIo, EXIT_INVALID_PARAMS, runBenchCli } from '../../bench/script.ts';
import { statusServerBench } from '../../bench/status-server.ts';
import { requireTools } from '../../peers/tools.ts';

const tools = requireTools(['freeradius']);
const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-bench-status-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!tools.available)('bench/status-server.ts', () => {
  it('measures both servers and writes a versioned report with ratios', { timeout: 60_000 }, async () => {
    const out = path.join(dir, 'bench-status-server.json');
    const io = captureIo();
    const outcome = await runBenchCli(
      statusServerBench,
      [
        ...['--count', '40', '--concurrency', '4', '--rounds', '2', '--warmup', '10'],
        ...['--radmfa-process', 'in-process', '--baseline', 'off', '--out', out],
      ],
      io,
    );
    expect(outcome.exitCode).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      schemaVersion: number;
      name: string;
      params: Record<string, unknown>;
      machine: { node: string; cpus: number; loadavg: number[] };
      results: NetworkResults;
    };
    expect(report.schemaVersion).toBe(1);
    expect(report.name).toBe('status-server');
    expect(report.params).toMatchObject({
      count: 40,
      concurrency: 4,
      rounds: 2,
      radmfaProcess: 'in-process',
    });
    expect(report.machine.loadavg).toHaveLength(3);
    for (const name of ['freeradius', 'radmfa'] as const) {
      const target = report.results.targets[name];
      expect(target.rounds).toHaveLength(2);
      expect(target.totals).toEqual({ sent: 80, ok: 80, notOk: 0, invalid: 0, timeouts: 0, unfinished: 0 });
      expect(target.medianAnsweredPerSec).toBeGreaterThan(0);
      expect(target.latency.p99Ms).toBeGreaterThanOrEqual(target.latency.p50Ms);
    }
    expect(report.results.targets.radmfa.description).toContain('own process');
    expect(report.results.targets.baseline).toBeUndefined();
    expect(report.results.ratios.ofBaseline).toBeUndefined();
    expect(report.results.ratios.throughput).toBeGreaterThan(0);
    expect(report.results.ratios.p95).toBeGreaterThan(0);
    expect(io.printed.join('\n')).toContain('radmfa/FreeRADIUS');
  });

  it('refuses more outstanding requests than a round sends, before starting any server', async () => {
    const io = captureIo();
    const outcome = await runBenchCli(statusServerBench, ['--count', '10', '--concurrency', '20'], io);
    expect(outcome.exitCode).toBe(EXIT_INVALID_PARAMS);
    expect(io.printed.join('\n')).toContain('--concurrency');
  });
});
