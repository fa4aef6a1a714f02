import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../reports/html.ts';
import { histogramBins, timelineSvg } from '../../reports/svg.ts';
import { FAILING_DEDUPE_CASE, sampleResult } from './sample-result.ts';

const result = sampleResult();
const html = renderHtml(result);

describe('index.html', () => {
  it('is one self-contained file: no script, no external URL, a CSP that forbids loading anything', () => {
    expect(html).not.toMatch(/<script|<link|@import|url\(http/i);
    const urls = html.match(/https?:\/\/[^\s"')<]+/g) ?? [];
    expect(urls.every((url) => url === 'http://www.w3.org/2000/svg')).toBe(true);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it('has an id on each section: suites, the matrix, each failing timeline, latency, properties', () => {
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [
      'overview',
      'suite-protocol',
      'suite-dedupe',
      'suite-nas-timeouts',
      'suite-accounting',
      'matrix-nas-timeouts',
      'failing',
      'timeline-dedupe-retransmit-while-pending',
      'timeline-protocol-proxy-state-echo',
      'timeline-nas-timeouts-seed-60s-30s',
      'latency',
      'properties',
    ]) {
      expect(ids, id).toContain(id);
    }
  });

  it('escapes every text: a title with <script> is text, quotes cannot leave an attribute', () => {
    expect(html).not.toContain('<script>alert');
    expect(html).toContain(
      'Proxy-State &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;echo&#39; ␇bell␀',
    );
    expect(html).toContain('Access-Accept without &quot;Proxy-State&quot;');
  });

  it('colours matrix cells by status, tooltips carrying the case title and reason', () => {
    const cells = [...html.matchAll(/<td class="cell (cell-\w+)[^"]*" title="([^"]*)">/g)];
    expect(cells).toHaveLength(15);
    expect(cells.filter((c) => c[1] === 'cell-failed').map((c) => c[2])).toEqual([
      'seed-60s with MFA answered after 30 s — steps[0].expect.outcome: expected accept, got timeout',
    ]);
    expect(cells.filter((c) => c[1] === 'cell-skipped')).toHaveLength(1);
    expect(cells.filter((c) => c[1] === 'cell-passed')).toHaveLength(13);
  });

  it('shows skipped reasons and failure messages in the suite tables', () => {
    expect(html).toContain(
      'needs a second source address; target 127.0.0.1:1812 &lt;external&gt; cannot provide one',
    );
    expect(html).toContain('<li>expect.discards.in-flight: expected 2, got 1</li>');
    expect(html).toContain('<p class="observed">Observed: MFA prompts 2 · discards in-flight 1</p>');
    expect(html).toContain('<span class="duplicates">duplicates: replay (RFC 5080 2.2.2)</span>');
  });

  it('draws no timeline section when nothing failed', () => {
    const passing = {
      ...result,
      suites: result.suites.map((s) => ({ ...s, cases: s.cases.filter((c) => c.status !== 'failed') })),
    };
    const page = renderHtml(passing);
    expect(page).not.toContain('id="failing"');
    expect(page).not.toContain('<svg class="timeline"');
  });
});

describe('timeline SVG', () => {
  const svg = timelineSvg(FAILING_DEDUPE_CASE.timeline, 't', 'caption');

  it('has a lifeline per actor that appears and one arrow per event, coloured by tone', () => {
    expect(svg.match(/class="lifeline"/g)).toHaveLength(5);
    expect(svg.match(/<g class="event /g)).toHaveLength(FAILING_DEDUPE_CASE.timeline.length);
    expect(svg.match(/<g class="event tone-retransmit">/g)).toHaveLength(2);
    expect(svg).toContain('<g class="event tone-discard">');
    expect(svg).toMatch(/<path d="M[^"]+" fill="none" stroke="#7c3aed"/);
  });

  it('orders events by time and marks long waits', () => {
    const shuffled = [...FAILING_DEDUPE_CASE.timeline].reverse();
    expect(timelineSvg(shuffled, 't', 'caption')).toBe(svg);
    expect(svg).toContain('⋮ +4.99 s');
  });
});

describe('latency histogram bins', () => {
  it('count durations into 1-2-5 bins trimmed to the data', () => {
    expect(histogramBins([3, 4, 12, 12_000]).map((b) => [b.from, b.count])).toEqual([
      [2, 2],
      [5, 0],
      [10, 1],
      [20, 0],
      [50, 0],
      [100, 0],
      [200, 0],
      [500, 0],
      [1000, 0],
      [2000, 0],
      [5000, 0],
      [10_000, 1],
    ]);
    expect(histogramBins([])).toEqual([]);
    expect(histogramBins([900_000])).toEqual([{ from: 500_000, to: Number.POSITIVE_INFINITY, count: 1 }]);
  });
});
