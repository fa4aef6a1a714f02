// Smoke test of bench/codec.ts with tiny counts: the command path works and the JSON has its shape.
// Performance is never asserted here.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codecBench, codecPhases } from '../../bench/codec.ts';
import { captureIo, EXIT_INVALID_PARAMS, runBenchCli } from '../../bench/script.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function reportPath(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-bench-codec-'));
  dirs.push(dir);
  return path.join(dir, 'bench-codec.json');
}

describe('bench/codec.ts', () => {
  it('writes a versioned report with every phase measured for both codecs', async () => {
    const out = reportPath();
    const io = captureIo();
    const outcome = await runBenchCli(
      codecBench,
      ['--iterations', '20', '--repetitions', '3', '--warmup', '5', '--out', out],
      io,
    );
    expect(outcome.exitCode).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(report).toMatchObject({
      schemaVersion: 1,
      name: 'codec',
      params: { iterations: 20, repetitions: 3, warmup: 5, maxSecondsPerSample: 5, out },
      machine: { node: process.version },
      results: {
        crossCheck: {
          radiusDecodesRadmfaRequest: true,
          radmfaDecodesRadiusRequest: true,
          radiusVerifiesRadmfaResponse: true,
          radmfaVerifiesRadiusResponse: true,
        },
      },
    });
    const machine = report.machine as { cpus: number; loadavg: number[] };
    expect(machine.cpus).toBeGreaterThan(0);
    expect(machine.loadavg).toHaveLength(3);
    const results = outcome.report?.results;
    expect(results?.phases.map((p) => p.phase)).toEqual([...codecPhases]);
    for (const phase of results?.phases ?? []) {
      expect(phase.radmfa.samples).toHaveLength(3);
      expect(phase.radius.samples).toHaveLength(3);
      expect(phase.radmfa.samples.every((s) => s.operations === 20)).toBe(true);
      expect(phase.radmfa.medianOpsPerSec).toBeGreaterThan(0);
      expect(phase.ratioRadmfaToRadius).toBeGreaterThan(0);
    }
    // The human table carries the ratio column and points at the JSON.
    const printed = io.printed.join('\n');
    expect(printed).toContain('radmfa/radius');
    expect(printed).toContain(out);
  });

  it('refuses bad flags with exit code 104 and writes nothing', async () => {
    const out = reportPath();
    const io = captureIo();
    const outcome = await runBenchCli(
      codecBench,
      ['--iterations', '0', '--repetitions', 'x', '--out', out],
      io,
    );
    expect(outcome.exitCode).toBe(EXIT_INVALID_PARAMS);
    expect(existsSync(out)).toBe(false);
    expect(io.printed.join('\n')).toMatch(/--iterations.*\n.*--repetitions/);
  });

  it('prints the flags with --help and runs nothing', async () => {
    const io = captureIo();
    const outcome = await runBenchCli(codecBench, ['--help'], io);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.report).toBeUndefined();
    expect(io.printed.join('\n')).toContain('--max-seconds-per-sample');
  });
});
