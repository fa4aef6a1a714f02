// bench/server.ts end to end with tiny counts: the MS-CHAPv2 row (challenges generated with
// protocol/auth) and the LDAP row (radmfa's LDAP directory and FreeRADIUS rlm_ldap against one
// slapd) must have every request accepted by both servers, and the LDAP row must read slapd's CPU.
// Performance is never asserted.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serverBench, type ServerBenchResults } from '../../bench/server.ts';
import { captureIo, runBenchCli } from '../../bench/script.ts';
import { isCi, requireTools } from '../../peers/tools.ts';

const tools = requireTools(['radclient', 'freeradius', 'slapd', 'slapadd']);
const rlmLdap = existsSync('/usr/lib/freeradius/rlm_ldap.so');
// As requireTools does for binaries: a broken install in CI, a skip with a notice elsewhere.
if (!rlmLdap) {
  const message = 'FreeRADIUS rlm_ldap is missing: apt-get install freeradius-ldap';
  if (isCi()) throw new Error(message);
  console.warn(`${message} (bench/server LDAP row test skipped)`);
}
const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-bench-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!tools.available || !rlmLdap)('bench/server.ts MS-CHAPv2 and LDAP rows', () => {
  it(
    'gets every request accepted by both servers and measures slapd apart',
    { timeout: 120_000 },
    async () => {
      const out = path.join(dir, 'server.json');
      const outcome = await runBenchCli(
        serverBench,
        [
          '--workloads',
          'mschapv2,pap-ldap',
          '--count',
          '100',
          '--rounds',
          '1',
          '--parallel',
          '8',
          '--out',
          out,
        ],
        captureIo(),
      );
      expect(outcome.exitCode).toBe(0);
      const report = JSON.parse(readFileSync(out, 'utf8')) as { results: ServerBenchResults };
      const rows = report.results.workloads;
      expect(rows.map((w) => w.workload)).toEqual(['mschapv2', 'pap-ldap']);
      for (const row of rows) {
        for (const round of row.rounds) {
          expect(round, `${row.workload} ${round.server}`).toMatchObject({
            received: 100,
            rejected: 0,
            lost: 0,
          });
          expect(round.rate).not.toBeNull();
          expect(round.slapdCpuMicrosPerRequest === null).toBe(row.workload !== 'pap-ldap');
        }
      }
    },
  );
});

describe.skipIf(!tools.available)('bench/server.ts --max-rate', () => {
  it(
    'searches both servers in each round, their probes taking turns, and reports the median of the rounds',
    { timeout: 120_000 },
    async () => {
      const out = path.join(dir, 'max-rate.json');
      const progress: string[] = [];
      const io = { ...captureIo(), progress: (line: string) => void progress.push(line) };
      const outcome = await runBenchCli(
        serverBench,
        [
          ...['--workloads', 'status', '--count', '100', '--rounds', '1', '--parallel', '8', '--max-rate'],
          ...['--max-rate-seconds', '1', '--max-rate-probes', '2', '--max-rate-rounds', '2'],
          ...['--max-rate-start', '100', '--out', out],
        ],
        io,
      );
      expect(outcome.exitCode).toBe(0);
      const report = JSON.parse(readFileSync(out, 'utf8')) as { results: ServerBenchResults };
      const [pap] = report.results.maxRate?.workloads ?? [];
      expect(pap?.workload).toBe('pap');
      expect(pap?.rounds).toHaveLength(2);
      for (const round of pap?.rounds ?? []) {
        for (const search of [round.radmfa, round.freeradius]) {
          expect(search.probes.length).toBeGreaterThanOrEqual(1);
          expect(search.probes.length).toBeLessThanOrEqual(2);
          expect(search.probes[0]?.rate).toBe(100);
          // A 1 s probe offers its rate's worth of logins, every one counted.
          for (const probe of search.probes) expect(probe.offered).toBe(probe.rate);
        }
      }
      const medianOf2 = (a: number, b: number): number => Math.round((a + b) / 2);
      const [first, second] = pap?.rounds ?? [];
      expect(pap?.radmfaMedian).toBe(medianOf2(first?.radmfa.maxRate ?? 0, second?.radmfa.maxRate ?? 0));
      expect(pap?.freeradiusMedian).toBe(
        medianOf2(first?.freeradius.maxRate ?? 0, second?.freeradius.maxRate ?? 0),
      );
      // Round 1 probes radmfa first, round 2 FreeRADIUS: the progress lines say who went when.
      const firstLines = (round: number): string[] =>
        progress
          .filter((line) => line.startsWith(`max-rate pap round ${round}/2`))
          .slice(0, 2)
          .map((line) => (line.includes(' radmfa ') ? 'radmfa' : 'freeradius'));
      expect(firstLines(1)).toEqual(['radmfa', 'freeradius']);
      expect(firstLines(2)).toEqual(['freeradius', 'radmfa']);
    },
  );
});
