// Smoke test of bench/mfa-mock.ts with a one-second run: the command path works, every endpoint was
// served (2xx, no errors: a refused begin would measure the refusal) and the JSON has its shape.
// Performance is never asserted here.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mfaMockBench, type MfaMockResults } from '../../bench/mfa-mock.ts';
import { captureIo, EXIT_INVALID_PARAMS, runBenchCli } from '../../bench/script.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('bench/mfa-mock.ts', () => {
  it('serves health, begin and poll under autocannon and writes the report', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-bench-mfa-'));
    dirs.push(dir);
    const out = path.join(dir, 'bench-mfa-mock.json');
    const io = captureIo();
    const outcome = await runBenchCli(
      mfaMockBench,
      ['--duration', '1', '--connections', '4', '--out', out],
      io,
    );
    expect(outcome.exitCode).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { name: string; results: MfaMockResults };
    expect(report.name).toBe('mfa-mock');
    expect(report.results.endpoints.map((e) => e.endpoint)).toEqual(['health', 'begin', 'poll']);
    for (const endpoint of report.results.endpoints) {
      expect(endpoint.requests).toBeGreaterThan(0);
      expect(endpoint.errors).toBe(0);
      expect(endpoint.non2xx).toBe(0);
    }
    expect(report.results.loginsPerSecond).toBeGreaterThan(0);
    expect(io.printed.join('\n')).toContain('MFA logins/s');
  }, 30_000);

  it('refuses a zero duration with exit 104', async () => {
    const io = captureIo();
    const outcome = await runBenchCli(mfaMockBench, ['--duration', '0'], io);
    expect(outcome.exitCode).toBe(EXIT_INVALID_PARAMS);
    expect(io.printed.join('\n')).toContain('--duration');
  });
});
