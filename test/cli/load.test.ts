// `radmfa load` as a CI gate (issue 9, Done when): a failing threshold exits 99 naming the threshold
// and the measured value, passing exits 0, an invalid profile exits 104 listing every error, and the
// issue's command against the embedded server writes results.json and junit.xml.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { main } from '../../cli/main.ts';
import { parseLoadResult } from '../../reports/load.ts';
import { loadBatchUdp } from '../../runtime/batch-udp.ts';
import { demoDirectoryFixture, embeddedDefaultConfig } from '../../scenarios/embedded/defaults.ts';
import { OPEN_MODEL_COALESCE_US } from '../../scenarios/load/index.ts';
import { EMBEDDED_SECRET, startUdpStack } from '../../scenarios/embedded/stacks.ts';
import { captureIo } from '../support/command-io.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-cli-load-'));
  dirs.push(dir);
  return dir;
}

const quick = ['--target', 'embedded-virtual', '--rate', '10', '--duration', '2s'];

describe('radmfa load', () => {
  it('exits 99 when a threshold fails, naming the threshold and the measured value', async () => {
    const io = captureIo();
    const out = tempDir();
    const code = await main(
      ['load', ...quick, '--threshold', 'radius_access_duration:p(95)<1', '--out', out],
      io,
    );
    expect(code).toBe(99);
    expect(io.stdout()).toMatch(
      /FAILED radius_access_duration p\(95\)<1: measured \d+(\.\d+)? \(\d+(\.\d+)? over the limit\)/,
    );
    const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
    expect(junit).toContain('failures="1"');
    expect(junit).toContain('<failure message="radius_access_duration p(95)&lt;1: measured');
  });

  it('exits 0 when every threshold passes, and the result has k6 summary shape', async () => {
    const io = captureIo();
    const out = tempDir();
    const code = await main(['load', ...quick, '--threshold', 'radius_timeouts:rate<0.5', '--out', out], io);
    expect(code).toBe(0);
    const result = parseLoadResult(readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(result.metrics.radius_timeouts).toMatchObject({
      type: 'rate',
      thresholds: { 'rate<0.5': { ok: true } },
    });
    expect(Object.keys(result.metrics.radius_access_duration.values)).toEqual(
      expect.arrayContaining(['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)']),
    );
    expect(result.metrics.iterations.values.count).toBe(20);
    const csv = readFileSync(path.join(out, 'series.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe(
      'second,offered,sent,received,accepted,rejected,timeouts,retransmits,in_flight,p50_ms,p95_ms,p99_ms',
    );
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('<svg class="linechart"');
  });

  it('shows a progress line with the live rate and p95 on a TTY, rewritten in place', async () => {
    const io = captureIo({ tty: true });
    expect(await main(['load', ...quick, '--out', tempDir()], io)).toBe(0);
    expect(io.stderr()).toContain('\r\u001b[2K[1s/2s] ');
    expect(io.stderr()).toMatch(/\[1s\/2s\] \d+ iterations {2}sent \d+\/s {2}received \d+\/s {2}p95 \d+ ms/);
  });

  it('stops at a signal, cutting the run short, and still writes every report', async () => {
    const controller = new AbortController();
    controller.abort();
    const io = captureIo({ signal: controller.signal });
    const out = tempDir();
    await main(
      ['load', '--target', 'embedded-virtual', '--rate', '10', '--duration', '10m', '--out', out],
      io,
    );
    const result = parseLoadResult(readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(result.stop).toEqual({ kind: 'signal' });
    expect(result.durationMs).toBeLessThan(1000);
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toContain('stopped early by a signal');
  });

  it('exits 104 for an invalid profile, listing every error with its fix', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(
      file,
      toYaml({
        scenarios: {
          logins: { executor: 'constant-arrival-rate', rate: -5, duration: 'forever', preAllocatedVUs: 10 },
        },
        thresholds: { radius_latency: ['p(95)<200'], radius_timeouts: ['avg<1'] },
        mix: [{ weight: 1, method: 'mschapv2', mfa: 'totp' }],
      }),
    );
    const io = captureIo();
    const code = await main(
      ['load', file, '--target', 'embedded-virtual', '--threshold', 'nonsense', '--out', dir],
      io,
    );
    expect(code).toBe(104);
    const err = io.stderr();
    for (const field of [
      'scenarios.logins.rate',
      'scenarios.logins.duration',
      'thresholds.radius_latency',
      'thresholds.radius_timeouts[0]',
      'mix[0].mfa',
      '--threshold',
    ]) {
      expect(err).toContain(`  - ${field}:`);
    }
    expect(
      err
        .split('\n')
        .filter((line) => line.startsWith('  - '))
        .every((line) => line.includes('Fix:')),
    ).toBe(true);
  });

  it('exits 104 for the command line mistakes, all at once', async () => {
    const io = captureIo();
    const code = await main(
      ['load', 'no-such-profile', '--target', '127.0.0.1:1812', '--segment', '3/4:1/4', '--duration', 'soon'],
      io,
    );
    expect(code).toBe(104);
    for (const field of ['PROFILE', '--secret', '--segment']) expect(io.stderr()).toContain(`  - ${field}:`);

    // The sockets are the NAS's toward a server it did not start; the embedded targets have their own.
    const sockets = captureIo();
    expect(
      await main(['load', '--target', 'embedded', '--udp', 'batch', '--udp-coalesce-us', '500'], sockets),
    ).toBe(104);
    for (const field of ['--udp', '--udp-coalesce-us']) expect(sockets.stderr()).toContain(`  - ${field}:`);
  });

  it('refuses a segment that would get none of the VUs, rather than drop all its arrivals', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'one-vu.yaml');
    writeFileSync(
      file,
      toYaml({
        scenarios: {
          default: {
            executor: 'constant-arrival-rate',
            rate: 1,
            duration: '1s',
            preAllocatedVUs: 1,
            maxVUs: 1,
          },
        },
      }),
    );
    const io = captureIo();
    expect(await main(['load', file, '--target', 'embedded-virtual', '--segment', '1/2:1'], io)).toBe(104);
    expect(io.stderr()).toContain("segment 1/2:1 gets none of scenario default's maxVUs");
  });

  it('generates --help from the flags and publishes the profile schema', async () => {
    const help = captureIo();
    expect(await main(['load', '--help'], help)).toBe(0);
    for (const flag of [
      '--target',
      '--rate',
      '--duration',
      '--vus',
      '--threshold',
      '--segment',
      '--out',
      '99',
    ]) {
      expect(help.stdout()).toContain(flag);
    }
    const schema = captureIo();
    expect(await main(['schema', 'load'], schema)).toBe(0);
    expect(JSON.parse(schema.stdout())).toMatchObject({ title: 'radmfa load profile' });
  });

  it("runs the issue's command against the embedded server and writes results.json and junit.xml", async () => {
    const io = captureIo();
    const out = tempDir();
    const code = await main(
      [
        'load',
        '--target',
        'embedded',
        '--rate',
        '50',
        '--duration',
        '5s',
        '--threshold',
        'radius_access_duration:p(95)<120000',
        '--out',
        out,
      ],
      io,
    );
    expect(io.stderr()).not.toContain('radmfa load: ');
    expect(code).toBe(0);
    const result = parseLoadResult(readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(result.target.kind).toBe('embedded-udp');
    expect(result.metrics.iterations.values.count).toBe(250);
    expect(result.thresholds).toContainEqual(
      expect.objectContaining({ metric: 'radius_access_duration', threshold: 'p(95)<120000', ok: true }),
    );
    expect(readFileSync(path.join(out, 'junit.xml'), 'utf8')).toContain(
      'name="radius_access_duration p(95)&lt;120000"',
    );
  }, 120_000);
});

describe('radmfa load against a server it did not start', () => {
  it('logs in with a CSV of credentials (push and TOTP) and with --user, over loopback UDP', async () => {
    const stack = await startUdpStack({
      serverConfig: embeddedDefaultConfig(),
      directoryFixture: demoDirectoryFixture,
    });
    try {
      const dir = tempDir();
      const csv = path.join(dir, 'users.csv');
      // bob answers the OTP prompt with the TOTP of the demo tenant's secret.
      writeFileSync(
        csv,
        'user,password,method,totpSecret\nalice,Passw0rd!,pap\nbob,Passw0rd!,pap,JBSWY3DPEHPK3PXP\n',
      );
      const target = [
        ...['--target', `${stack.auth.address}:${stack.auth.port}`, '--acct-port', String(stack.acct.port)],
        ...['--secret', EMBEDDED_SECRET],
      ];
      const io = captureIo();
      const out = path.join(dir, 'csv');
      const code = await main(
        ['load', ...target, '--credentials', csv, '--rate', '2', '--duration', '1s', '--out', out],
        io,
      );
      expect(io.stderr()).not.toContain('radmfa load: ');
      expect(code).toBe(0);
      const result = parseLoadResult(readFileSync(path.join(out, 'results.json'), 'utf8'));
      expect(result.target).toMatchObject({
        kind: 'external',
        address: `${stack.auth.address}:${stack.auth.port}`,
      });
      // Each logs in once: a TOTP code is good for one login per 30 s step (replays are refused).
      expect(result.metrics.radius_accepts.values.count).toBe(2);
      expect(result.metrics.iterations.values.count).toBe(2);
      expect(result.metrics.radius_challenges.values.count).toBe(1);
      // Against a server that is not ours, the MFA wait seen is the time users spent at OTP prompts.
      expect(result.metrics.radius_mfa_wait.values.count).toBe(1);
      expect(stack.accounting.count()).toBe(4);
      expect(readFileSync(path.join(out, 'results.json'), 'utf8')).not.toContain('Passw0rd!');

      const single = captureIo();
      const singleOut = path.join(dir, 'single');
      expect(
        await main(
          [
            'load',
            ...target,
            '--user',
            'alice',
            '--password',
            'Passw0rd!',
            '--method',
            'mschapv2',
            '--rate',
            '1',
            '--duration',
            '1s',
            '--out',
            singleOut,
          ],
          single,
        ),
      ).toBe(0);
      const one = parseLoadResult(readFileSync(path.join(singleOut, 'results.json'), 'utf8'));
      expect(one.metrics.radius_accepts.values.count).toBe(1);
      expect(one.profile.users).toBe('one user (alice, mschapv2)');

      // --udp auto: the batching addon when it is built, node:dgram (saying why) when not; the
      // logins and what the result counts are the same either way. --rate makes the run open-model,
      // so batched sockets coalesce their reads by default.
      const auto = captureIo();
      const autoOut = path.join(dir, 'auto');
      expect(
        await main(
          [
            'load',
            ...target,
            ...['--user', 'alice', '--password', 'Passw0rd!', '--udp', 'auto'],
            ...['--rate', '20', '--duration', '1s', '--out', autoOut],
          ],
          auto,
        ),
      ).toBe(0);
      const viaAuto = parseLoadResult(readFileSync(path.join(autoOut, 'results.json'), 'utf8'));
      expect(viaAuto.metrics.radius_accepts.values.count).toBe(20);
      expect(viaAuto.metrics.radius_timeouts?.values.count ?? 0).toBe(0);
      expect(viaAuto.target.description).toContain(
        loadBatchUdp().available
          ? `(batched UDP sockets, replies read every ${OPEN_MODEL_COALESCE_US} us while they flow)`
          : '(node:dgram sockets: ',
      );
    } finally {
      await stack.close();
    }
  }, 120_000);
});
