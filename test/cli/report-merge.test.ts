// Distributed runs (issue 9, Done when): one profile run as 4 execution segments in 4 processes,
// merged with `radmfa report merge`, counts what one full run counts, exactly, with percentiles
// within HDR precision; the thresholds are evaluated again on the merged data.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { main } from '../../cli/main.ts';
import { parseLoadResult } from '../../reports/load.ts';
import { metricNames } from '../../scenarios/load/metrics.ts';
import type { LoadResult } from '../../scenarios/load/result.ts';
import { captureIo } from '../support/command-io.ts';

const bin = path.resolve(import.meta.dirname, '../../bin/radmfa.js');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-merge-'));
  dirs.push(dir);
  return dir;
}

/** `node bin/radmfa.js ARGS`, bounded in time; resolves with its exit code and stderr. */
function radmfa(
  args: readonly string[],
  timeoutMs: number,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`radmfa ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const read = (dir: string): LoadResult =>
  parseLoadResult(readFileSync(path.join(dir, 'results.json'), 'utf8'));

// Deterministic per login in virtual time: every user logs in once (160 logins, 1000 users), the NAS
// profile has fixed timeouts (no jitter drawn from a stream whose order differs between processes).
const profile = {
  name: 'merge-check',
  seed: 7,
  scenarios: {
    logins: { executor: 'constant-arrival-rate', rate: 40, duration: '4s', preAllocatedVUs: 8, maxVUs: 400 },
  },
  thresholds: { radius_access_duration: ['p(95)<100000'], radius_timeouts: ['rate<0.01'] },
  users: { source: 'generated', count: 1000 },
  mix: [
    {
      weight: 7,
      method: 'pap',
      mfa: 'push',
      behaviour: { prompt: { outcome: 'approve', after: { uniform: { min: '200ms', max: '2500ms' } } } },
    },
    {
      weight: 2,
      method: 'pap',
      mfa: 'totp',
      behaviour: { code: { typing: { uniform: { min: '300ms', max: '2s' } } } },
    },
    {
      weight: 1,
      method: 'mschapv2',
      mfa: 'push',
      behaviour: { prompt: { outcome: 'approve', after: '1s' } },
    },
  ],
  accounting: { interims: 0, interval: '100ms' },
  nas: { profile: 'palo-alto' },
};

describe('radmfa report merge', () => {
  it('merges 4 segments run as 4 processes into what one full run counts', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'merge-check.yaml');
    writeFileSync(file, toYaml(profile));
    const segments = ['0:1/4', '1/4:2/4', '2/4:3/4', '3/4:1'];
    const outs = segments.map((_, i) => path.join(dir, `segment-${i}`));
    const fullOut = path.join(dir, 'full');
    const [full, ...parts] = await Promise.all([
      main(['load', file, '--target', 'embedded-virtual', '--out', fullOut], captureIo()),
      ...segments.map((segment, i) =>
        radmfa(
          ['load', file, '--target', 'embedded-virtual', '--segment', segment, '--out', outs[i] ?? ''],
          150_000,
        ),
      ),
    ]);
    expect(full).toBe(0);
    for (const part of parts) expect(part, part.stderr).toMatchObject({ code: 0 });

    const mergedOut = path.join(dir, 'merged');
    const io = captureIo();
    expect(
      await main(
        ['report', 'merge', ...outs.map((o) => path.join(o, 'results.json')), '--out', mergedOut],
        io,
      ),
    ).toBe(0);
    const merged = read(mergedOut);
    const single = read(fullOut);
    expect(merged.segments).toEqual(['0:1/4', '1/4:1/2', '1/2:3/4', '3/4:1']);
    // Each segment did its share: a quarter of the 160 arrivals.
    expect(outs.map((o) => read(o).metrics.iterations.values.count)).toEqual([40, 40, 40, 40]);

    for (const name of metricNames) {
      const a = merged.state[name];
      const b = single.state[name];
      if (a.type === 'counter' && b.type === 'counter') expect([name, a.count]).toEqual([name, b.count]);
      if (a.type === 'rate' && b.type === 'rate')
        expect([name, a.passes, a.fails]).toEqual([name, b.passes, b.fails]);
      if (a.type === 'trend' && b.type === 'trend') {
        expect([name, a.count]).toEqual([name, b.count]);
        for (const stat of ['med', 'p(90)', 'p(95)', 'p(99)', 'min', 'max']) {
          const x = merged.metrics[name].values[stat] ?? NaN;
          const y = single.metrics[name].values[stat] ?? NaN;
          // HDR keeps 3 significant digits: values agree to within 0.1%.
          expect(Math.abs(x - y), `${name} ${stat}: ${x} vs ${y}`).toBeLessThanOrEqual(
            Math.max(1e-9, Math.abs(y) * 1e-3),
          );
        }
      }
    }
    expect(merged.series.reduce((n, r) => n + r.offered, 0)).toBe(
      single.series.reduce((n, r) => n + r.offered, 0),
    );
    // Each process's own CPU time and NAS paths add up (radmfa's own server: every login on nas.login).
    expect(merged.process?.nasPaths).toEqual({ lean: 0, full: 160, refused: 0 });
    expect(merged.process?.cpuUserMicros).toBe(
      outs.reduce((n, o) => n + (read(o).process?.cpuUserMicros ?? NaN), 0),
    );
    expect(merged.thresholds.map((t) => [t.threshold, t.ok])).toEqual([
      ['p(95)<100000', true],
      ['rate<0.01', true],
    ]);
  }, 240_000);

  it('refuses to merge a segment twice, and exits 99 when a threshold fails on the merged data', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'p.yaml');
    writeFileSync(
      file,
      toYaml({
        ...profile,
        scenarios: { logins: { ...profile.scenarios.logins, duration: '1s' } },
        thresholds: { iterations: ['count==999'] },
      }),
    );
    const out = path.join(dir, 'half');
    expect(
      await main(
        ['load', file, '--target', 'embedded-virtual', '--segment', '0:1/2', '--out', out],
        captureIo(),
      ),
    ).toBe(99);
    const twice = captureIo();
    const results = path.join(out, 'results.json');
    expect(await main(['report', 'merge', results, results, '--out', path.join(dir, 'm1')], twice)).toBe(1);
    expect(twice.stderr()).toContain('segment 0:1/2 appears twice');
    const once = captureIo();
    expect(await main(['report', 'merge', results, '--out', path.join(dir, 'm2')], once)).toBe(99);
    expect(once.stdout()).toContain('FAILED iterations count==999: measured 20');
  }, 60_000);
});
