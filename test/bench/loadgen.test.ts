// bench/loadgen.ts: its parsers on radclient's and bash's real output formats, its flag checks, and
// a tiny real run against the null responder with radclient, the lean loop and `radmfa load` as a
// child process (performance is never asserted).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkLoadgenParams,
  countedRuns,
  loadgenBench,
  loadProbeProfile,
  meetsTarget,
  parseChildTimes,
  parseRadclientSummary,
  radclientRequestFile,
  type LoadgenParams,
  type LoadgenResults,
} from '../../bench/loadgen.ts';
import { captureIo, EXIT_INVALID_PARAMS, runBenchCli } from '../../bench/script.ts';
import { requireTools } from '../../peers/tools.ts';

const tools = requireTools(['radclient']);
const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-bench-loadgen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base: LoadgenParams = {
  count: 100,
  concurrency: '8',
  rounds: 1,
  servers: 'null',
  requestTimeoutMs: 2000,
  maxSeconds: 30,
  recvBufferSize: 1 << 22,
  loadSeconds: 1,
  loadProbes: 1,
  p99LimitMs: 1000,
  quick: false,
  out: '',
};

describe('loadgen medians', () => {
  it('leave out radclient runs dominated by its start-up, unless no other run is left', () => {
    const run = (rate: number, startupDominated?: boolean) => ({
      round: 1,
      sent: 10,
      accepted: 10,
      lost: 0,
      wallMs: 1,
      ratePerSec: rate,
      cpuMicrosPerRequest: 1,
      ...(startupDominated === undefined ? {} : { startupDominated }),
    });
    expect(countedRuns([run(100), run(20_000_000, true), run(120)]).map((r) => r.ratePerSec)).toEqual([
      100, 120,
    ]);
    expect(countedRuns([run(5, true)]).map((r) => r.ratePerSec)).toEqual([5]);
  });
});

describe('loadgen target and profile', () => {
  it("meets the issue's target at 1.5x radclient's rate, or its rate with under half its CPU", () => {
    expect(meetsTarget(1.5, 0.9)).toBe(true);
    expect(meetsTarget(1.0, 0.49)).toBe(true);
    expect(meetsTarget(1.0, 0.5)).toBe(false);
    expect(meetsTarget(0.99, 0.1)).toBe(false);
    expect(meetsTarget(1.2, null)).toBe(false);
    expect(meetsTarget(null, null)).toBe(false);
  });

  it('probes radmfa load with an open-model profile the load engine accepts', async () => {
    const { parseLoadProfile } = await import('../../scenarios/load/profile.ts');
    const parsed = parseLoadProfile(JSON.parse(loadProbeProfile(2500, 3, '/tmp/users.csv')));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.scenarios['probe']).toMatchObject({
      executor: 'constant-arrival-rate',
      rate: 2500,
      duration: 3000,
    });
    expect(parsed.value.accounting).toBeUndefined();
    // A rate far above what the profile's VU bound allows still gives a valid profile.
    expect(parseLoadProfile(JSON.parse(loadProbeProfile(160_000, 1, '/tmp/users.csv'))).ok).toBe(true);
  });
});

describe('loadgen parsing', () => {
  it('reads radclient -s summaries and bash `times` output', () => {
    const summary =
      'Packet summary:\n\tAccepted      : 40000\n\tRejected      : 3\n\tLost          : 2\n\tPassed filter : 40000\n';
    expect(parseRadclientSummary(summary)).toEqual({ accepted: 40000, rejected: 3, lost: 2 });
    expect(parseRadclientSummary('nothing here')).toBeUndefined();
    expect(parseChildTimes('0m0.004s 0m0.009s\n0m1.407s 0m1.110s\n')).toBe(2_517_000);
    expect(parseChildTimes('0m0.004s 0m0.009s\n1m2.5s 0m0.5s')).toBe(63_000_000);
    expect(parseChildTimes('garbage')).toBeUndefined();
  });

  it('writes one request per variant, with Message-Authenticator, blank-line separated', () => {
    const file = radclientRequestFile([
      [
        { name: 'User-Name', value: 'alice' },
        { name: 'NAS-Port', value: 1 },
      ],
      [{ name: 'User-Name', value: 'bob' }],
    ]);
    expect(file).toBe(
      'User-Name = "alice"\nNAS-Port = 1\nMessage-Authenticator = 0x00\n\nUser-Name = "bob"\nMessage-Authenticator = 0x00',
    );
  });

  it('names every bad concurrency list', () => {
    expect(checkLoadgenParams({ ...base, concurrency: '8,x' })[0]?.path).toBe('--concurrency');
    expect(checkLoadgenParams({ ...base, concurrency: '500' })[0]?.message).toMatch(/above the 100 requests/);
    expect(checkLoadgenParams(base)).toEqual([]);
  });

  it('exits 104 on an invalid list, before starting anything', async () => {
    const outcome = await runBenchCli(loadgenBench, ['--concurrency', 'many'], captureIo());
    expect(outcome.exitCode).toBe(EXIT_INVALID_PARAMS);
  });
});

describe.skipIf(!tools.available)('bench/loadgen.ts against the null responder', () => {
  it(
    'drives it with both clients, every request accepted, and writes the comparison',
    { timeout: 120_000 },
    async () => {
      const out = path.join(dir, 'bench-loadgen.json');
      const outcome = await runBenchCli(
        loadgenBench,
        [
          ...['--count', '160', '--concurrency', '8', '--rounds', '2', '--servers', 'null'],
          ...['--load-seconds', '1', '--load-probes', '1', '--out', out],
        ],
        captureIo(),
      );
      expect(outcome.exitCode).toBe(0);
      const report = JSON.parse(readFileSync(out, 'utf8')) as { name: string; results: LoadgenResults };
      expect(report.name).toBe('loadgen');
      const [server] = report.results.servers;
      expect(server?.server).toBe('null');
      for (const client of ['leanLoop', 'radclient'] as const) {
        const runs = server?.[client].best.runs ?? [];
        expect(runs).toHaveLength(2);
        for (const run of runs) {
          expect(run).toMatchObject({ sent: 160, accepted: 160, lost: 0 });
          // radclient's start-up is subtracted, which can leave nothing on a run this small.
          expect(run.cpuMicrosPerRequest).toBeGreaterThanOrEqual(client === 'leanLoop' ? 0.001 : 0);
        }
      }
      // The transport floor: the same loop with no RADIUS work, every datagram answered.
      const floorRuns = server?.floor?.best.runs ?? [];
      expect(floorRuns).toHaveLength(2);
      for (const run of floorRuns) {
        expect(run).toMatchObject({ sent: 160, accepted: 160, lost: 0 });
        expect(run.cpuMicrosPerRequest).toBeGreaterThan(0);
      }
      // radmfa load, the CLI: one probe at radclient's rate (at least 100/s; on 160 requests radclient's
      // rate says little) for 1 s, on the lean path while its 64 sockets have Identifiers free (16,384
      // logins at once; beyond, nas.login takes them), its own CPU read from its result JSON.
      const load = server?.radmfaLoad;
      expect(load?.probes).toHaveLength(1);
      const [probe] = load?.probes ?? [];
      expect(probe?.rate).toBeGreaterThanOrEqual(100);
      // Every arrival is offered, and each took a path or was dropped or refused (a slow machine
      // cannot keep up with radclient's rate: it drops or refuses arrivals, never leaves them out).
      expect(probe?.offered).toBe(probe?.rate);
      const paths = probe?.nasPaths;
      expect((paths?.lean ?? 0) + (paths?.full ?? 0) + (paths?.refused ?? 0) + (probe?.dropped ?? 0)).toBe(
        probe?.offered,
      );
      expect(paths?.lean).toBeGreaterThanOrEqual(
        Math.min((probe?.offered ?? 0) - (probe?.dropped ?? 0), 16_384),
      );
      expect(probe?.cpuMicrosPerRequest).toBeGreaterThan(0);
      if (probe?.sustained === true) {
        expect(load?.maxRate).toBe(probe.rate);
        expect(probe.accepts).toBe(probe.offered);
      }
      expect(typeof server?.rateRatio).toBe('number');
      expect(typeof server?.targetMet).toBe('boolean');
    },
  );
});
