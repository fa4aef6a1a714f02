// Load profiles are data files validated with every error at once; the bundled ones are valid; the
// JSON Schema is published; thresholds use k6's syntax and name the metric and the fix when wrong.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfileJsonSchema, parseLoadProfile, readLoadProfile } from '../../../scenarios/load/profile.ts';
import { MetricSet } from '../../../scenarios/load/metrics.ts';
import { describeVerdict, evaluate, parseThreshold } from '../../../scenarios/load/thresholds.ts';

const PROFILES = path.resolve(import.meta.dirname, '../../../scenarios/load/profiles');

describe('load profiles', () => {
  it.each(readdirSync(PROFILES).filter((f) => f.endsWith('.yaml')))('bundled %s is valid', async (file) => {
    const result = await readLoadProfile(path.join(PROFILES, file));
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it('lists every error of a profile at once: executor fields, thresholds, mix, users', () => {
    const result = parseLoadProfile({
      scenarios: {
        logins: {
          executor: 'constant-arrival-rate',
          rate: 'fast',
          duration: '10 seconds',
          preAllocatedVUs: 5,
        },
        other: { executor: 'warp-speed' },
      },
      thresholds: { radius_latency: ['p(95)<200'], radius_timeouts: ['p(95)<1'] },
      mix: [{ weight: 1, method: 'mschapv2', mfa: 'totp' }],
      users: { source: 'generated', count: 1_000_000 },
    });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'scenarios.logins.rate',
        'scenarios.logins.duration',
        'scenarios.other.executor',
        'thresholds.radius_latency',
        'thresholds.radius_timeouts[0]',
        'mix[0].mfa',
        'users.count',
      ]),
    );
    expect(result.ok ? [] : result.issues.filter((i) => i.fix === '')).toEqual([]);
  });

  it('publishes a JSON Schema that names the executors', () => {
    const text = JSON.stringify(loadProfileJsonSchema());
    for (const name of [
      'constant-arrival-rate',
      'ramping-arrival-rate',
      'constant-vus',
      'ramping-vus',
      'per-vu-iterations',
    ]) {
      expect(text).toContain(name);
    }
  });
});

describe('thresholds', () => {
  it('parses k6 expressions and rejects an aggregation the metric type lacks', () => {
    expect(parseThreshold('radius_access_duration', 'p(99.9)<1000').ok).toBe(true);
    expect(parseThreshold('radius_timeouts', 'rate<0.001').ok).toBe(true);
    expect(parseThreshold('mfa_prompts_per_login', 'max<=1').ok).toBe(true);
    expect(parseThreshold('iterations', 'count>10').ok).toBe(true);
    const wrong = parseThreshold('radius_timeouts', 'p(95)<1');
    expect(wrong.ok ? '' : wrong.issue.message).toContain('does not apply');
    expect(parseThreshold('radius_access_duration', 'p95 < 2').ok).toBe(false);
  });

  // Percentiles come from the HDR histogram (3 significant digits): 300 ms reads as 300.031.
  it('evaluates on the metric and says the measured value and by how much it missed', () => {
    const metrics = new MetricSet();
    for (const ms of [100, 200, 300, 400, 1000]) metrics.trend('radius_access_duration', ms);
    const parsed = parseThreshold('radius_access_duration', 'max<500');
    if (!parsed.ok) throw new Error('unparsed');
    const verdict = evaluate(parsed.threshold, metrics.states().radius_access_duration, 1000);
    expect(verdict.ok).toBe(false);
    expect(verdict.actual).toBe(1000);
    expect(describeVerdict(verdict)).toBe(
      'radius_access_duration max<500: measured 1000 (500 over the limit)',
    );
    const med = parseThreshold('radius_access_duration', 'med<301');
    if (!med.ok) throw new Error('unparsed');
    expect(evaluate(med.threshold, metrics.states().radius_access_duration, 1000).ok).toBe(true);
  });
});
