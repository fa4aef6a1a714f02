// Smoke test of bench/virtual.ts with a few hundred logins: both NAS paths (lean, login) complete
// every login of both workloads as an accept, and the push workload spends its 2 s approvals in
// virtual time. Performance is never asserted here.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { virtualBench, type VirtualResults } from '../../bench/virtual.ts';
import { captureIo, runBenchCli } from '../../bench/script.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('bench/virtual.ts', () => {
  it.each(['lean', 'login'])(
    'completes every login as an accept on the %s NAS path',
    async (nas) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-bench-virtual-'));
      dirs.push(dir);
      const out = path.join(dir, 'bench-virtual.json');
      const io = captureIo();
      const args = [
        '--logins',
        '300',
        '--concurrency',
        '50',
        '--repetitions',
        '1',
        '--nas',
        nas,
        '--out',
        out,
      ];
      const outcome = await runBenchCli(virtualBench, args, io);
      expect(outcome.exitCode).toBe(0);
      const report = JSON.parse(readFileSync(out, 'utf8')) as { name: string; results: VirtualResults };
      expect(report.results.workloads.map((w) => [w.workload, w.nas])).toEqual([
        ['mfa-off', nas],
        ['push', nas],
      ]);
      for (const workload of report.results.workloads) {
        const [run] = workload.runs;
        expect(run?.outcomes).toEqual({ accept: 300 });
        expect(run?.deadlineHit).toBe(false);
      }
      // 300 logins, 50 at a time, each push approved after 2 s of virtual time: 6 rounds of 2 s.
      expect(report.results.workloads[1]?.runs[0]?.virtualMs).toBeGreaterThanOrEqual(12_000);
    },
    60_000,
  );
});
