// The load reports render from the result JSON alone: JUnit has one testcase per threshold, the CSV
// one row per second, the HTML both plots, the summary table marks thresholds; a file of another
// version or kind is refused with the reason.
import { describe, expect, it } from 'vitest';
import {
  parseLoadResult,
  renderLoadCsv,
  renderLoadHtml,
  renderLoadJunit,
  renderLoadMarkdown,
  renderLoadSummaryText,
  serializeLoadResult,
} from '../../reports/load.ts';
import { MetricSet } from '../../scenarios/load/metrics.ts';
import { parseLoadProfile } from '../../scenarios/load/profile.ts';
import { buildLoadResult, type LoadResult } from '../../scenarios/load/result.ts';
import { FULL_PLAN } from '../../scenarios/load/segments.ts';
import { TimeSeries } from '../../scenarios/load/series.ts';
import { evaluateSpecs } from '../../scenarios/load/result.ts';

function result(): LoadResult {
  const parsed = parseLoadProfile({
    name: 'report-check',
    scenarios: { s: { executor: 'constant-arrival-rate', rate: 2, duration: '3s', preAllocatedVUs: 2 } },
    thresholds: { radius_access_duration: ['p(95)<250'], radius_timeouts: ['rate<0.5'] },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const metrics = new MetricSet();
  const series = new TimeSeries(0);
  [100, 200, 300, 120, 180, 400].forEach((ms, i) => {
    const at = 500 * i + ms;
    metrics.trend('radius_access_duration', ms);
    metrics.rate('radius_timeouts', false);
    metrics.add('radius_accepts');
    metrics.add('iterations');
    series.count('offered', 500 * i);
    series.count('sent', 500 * i);
    series.count('received', at);
    series.count('accepted', at);
    series.latency(at, ms);
  });
  const states = metrics.states();
  return buildLoadResult(
    {
      startedAt: Date.UTC(2025, 0, 6, 9),
      durationMs: 3000,
      states,
      series: series.rows(),
      verdicts: evaluateSpecs(parsed.value.thresholds, states, 3000),
      stop: { kind: 'completed' },
      interrupted: 0,
    },
    {
      profile: parsed.value,
      target: {
        kind: 'embedded-virtual',
        description: 'reference server (embedded default), in memory and virtual time',
      },
      users: '1000 generated users',
      segment: FULL_PLAN,
    },
  );
}

describe('load reports', () => {
  it('JUnit: one testcase per threshold, the failed one with its measured value', () => {
    const junit = renderLoadJunit(result());
    expect(junit.match(/<testcase /g)).toHaveLength(2);
    expect(junit).toContain('tests="2" failures="1"');
    expect(junit).toContain(
      '<failure message="radius_access_duration p(95)&lt;250: measured 400.127 (150.127 over the limit)"',
    );
  });

  it('CSV: a row per second with offered, sent, received and the latency percentiles', () => {
    const rows = renderLoadCsv(result()).trim().split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[1]).toBe('0,2,2,2,2,0,0,0,0,100.031,200.063,200.063');
  });

  it('HTML, Markdown and the terminal table come from the result alone', () => {
    const r = parseLoadResult(serializeLoadResult(result()));
    const html = renderLoadHtml(r);
    expect(html.match(/<svg class="linechart"/g)).toHaveLength(2);
    expect(renderLoadMarkdown(r)).toContain('| ❌ | `radius_access_duration` | `p(95)<250` | 400.13 |');
    const text = renderLoadSummaryText(r);
    expect(text).toContain('✗ radius_access_duration');
    expect(text).toContain('✓ radius_timeouts');
    expect(text).toContain('1 of 2 thresholds failed');
  });

  it('refuses a result of another schemaVersion or kind, saying which', () => {
    const text = serializeLoadResult(result());
    expect(() => parseLoadResult(text.replace('"schemaVersion": 2', '"schemaVersion": 1'))).toThrow(
      /schemaVersion 1/,
    );
    expect(() => parseLoadResult(text.replace('"kind": "load"', '"kind": "conformance"'))).toThrow(
      /must be "load"/,
    );
  });
});
