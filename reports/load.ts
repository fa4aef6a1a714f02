// Every report of a load run, rendered from its result JSON alone: results.json (k6 summary shape
// plus HDR state), junit.xml (one testcase per threshold), series.csv (per second), summary.md
// (also for $GITHUB_STEP_SUMMARY), index.html (throughput and latency over time), and the
// end-of-run table the terminal shows.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIssues, IssueCollector, isPlainObject, type Issue } from '../runtime/validation/index.ts';
import { RESULT_SCHEMA_VERSION } from '../scenarios/result.ts';
import {
  metricDefinitions,
  metricNames,
  type MetricDefinition,
  type MetricName,
} from '../scenarios/load/metrics.ts';
import type { LoadResult } from '../scenarios/load/result.ts';
import { describeVerdict } from '../scenarios/load/thresholds.ts';
import { parseResultJson, readResultText, ResultFileError } from './json.ts';
import { escapeMarkdown } from './summary-markdown.ts';
import { lineChartSvg } from './svg.ts';
import { escapeHtml as esc, escapeXml, escapeXmlAttribute, htmlDocumentStart, junitSeconds } from './text.ts';

export const LOAD_REPORT_FILE_NAMES = {
  results: 'results.json',
  junit: 'junit.xml',
  csv: 'series.csv',
  summary: 'summary.md',
  html: 'index.html',
} as const;

export type LoadReportFiles = { readonly [K in keyof typeof LOAD_REPORT_FILE_NAMES]: string };

// ---------------------------------------------------------------- JSON

export function serializeLoadResult(result: LoadResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

function checkShape(input: Readonly<Record<string, unknown>>): Issue[] {
  const issues = new IssueCollector();
  if (input.kind !== 'load') {
    issues.add(
      'kind',
      `must be "load", got ${JSON.stringify(input.kind)}`,
      'pass a results.json written by `radmfa load`',
    );
  }
  const state = issues.object(input.state, 'state');
  if (input.state === undefined)
    issues.add('state', 'is missing', 'pass a complete results.json from `radmfa load`');
  for (const name of metricNames) {
    if (input.state !== undefined && !isPlainObject(state[name])) {
      issues.add(`state.${name}`, 'is missing', 'write the result again with this radmfa');
    }
  }
  issues.array(input.segments, 'segments');
  issues.array(input.series, 'series');
  issues.array(input.thresholdSpecs, 'thresholdSpecs');
  issues.object(input.profile, 'profile');
  return issues.issues;
}

export function parseLoadResult(text: string, source = 'results.json'): LoadResult {
  const input = parseResultJson(text, source);
  if (!isPlainObject(input))
    throw new ResultFileError(source, 'invalid', 'must hold a JSON object written by `radmfa load`');
  if (input.schemaVersion !== RESULT_SCHEMA_VERSION) {
    throw new ResultFileError(
      source,
      'other-version',
      `has schemaVersion ${JSON.stringify(input.schemaVersion ?? null)}, but this radmfa reads schemaVersion ${RESULT_SCHEMA_VERSION}. Fix: run the load again with this radmfa`,
    );
  }
  const issues = checkShape(input);
  if (issues.length > 0) {
    throw new ResultFileError(
      source,
      'invalid',
      `is not a complete load result:\n${formatIssues(issues)}`,
      issues,
    );
  }
  return input as unknown as LoadResult;
}

export async function readLoadResult(path: string): Promise<LoadResult> {
  return parseLoadResult(await readResultText(path), path);
}

// ---------------------------------------------------------------- words shared by the renderers

function format(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** The one-line value of a metric, k6-like: "avg=12.3ms min=... p(95)=...". */
export function metricLine(result: LoadResult, name: MetricName): string {
  const metric = result.metrics[name];
  const definition: MetricDefinition = metricDefinitions[name];
  const unit = definition.unit === 'ms' ? 'ms' : '';
  const v = metric.values;
  switch (metric.type) {
    case 'trend':
      return ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)']
        .map((k) => `${k}=${format(v[k])}${unit}`)
        .join(' ');
    case 'counter':
      return `${format(v.count)} (${format(v.rate)}/s)`;
    case 'rate':
      return `${format((v.rate ?? 0) * 100)}% (${format(v.passes)} of ${format((v.passes ?? 0) + (v.fails ?? 0))})`;
    case 'gauge':
      return `value=${format(v.value)} min=${format(v.min)} max=${format(v.max)}`;
  }
}

function verdictWord(result: LoadResult): string {
  if (result.thresholds.length === 0) return 'no thresholds';
  const failed = result.thresholds.filter((t) => !t.ok).length;
  return failed === 0
    ? `all ${result.thresholds.length} thresholds passed`
    : `${failed} of ${result.thresholds.length} thresholds failed`;
}

function stopWords(result: LoadResult): string | undefined {
  switch (result.stop.kind) {
    case 'completed':
      return undefined;
    case 'signal':
      return 'stopped early by a signal';
    case 'threshold':
      return `aborted early: ${result.stop.metric} ${result.stop.threshold} failed (measured ${result.stop.actual}, abortOnFail)`;
  }
}

// ---------------------------------------------------------------- terminal

/** The end-of-run summary the terminal shows (k6's layout: thresholds marked ✓/✗, then metrics). */
export function renderLoadSummaryText(result: LoadResult): string {
  const width = Math.max(...metricNames.map((n) => n.length)) + 2;
  const lines = [
    `radmfa load: ${result.profile.name} against ${result.target.description}`,
    `  segments ${result.segments.join(', ')}; ${(result.durationMs / 1000).toFixed(1)} s; ${result.profile.users}`,
    ...Object.entries(result.profile.scenarios).map(
      ([name, s]) => `  ${name}: ${s.executor}, ${s.description}`,
    ),
    '',
  ];
  for (const name of metricNames) {
    const marks = result.thresholds.filter((t) => t.metric === name);
    const mark = marks.length === 0 ? ' ' : marks.every((t) => t.ok) ? '✓' : '✗';
    lines.push(`${mark} ${name.padEnd(width, '.')} ${metricLine(result, name)}`);
    for (const t of marks) lines.push(`    ${t.ok ? '✓' : '✗'} ${t.threshold} (measured ${t.actual})`);
  }
  const stop = stopWords(result);
  lines.push('', `${verdictWord(result)}${stop !== undefined ? `; ${stop}` : ''}`);
  for (const failed of result.thresholds.filter((t) => !t.ok))
    lines.push(`  FAILED ${describeVerdict(failed)}`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- CSV

export function renderLoadCsv(result: LoadResult): string {
  const header =
    'second,offered,sent,received,accepted,rejected,timeouts,retransmits,in_flight,p50_ms,p95_ms,p99_ms';
  const rows = result.series.map((r) =>
    [
      r.second,
      r.offered,
      r.sent,
      r.received,
      r.accepted,
      r.rejected,
      r.timeouts,
      r.retransmits,
      r.inFlight,
      r.p50,
      r.p95,
      r.p99,
    ].join(','),
  );
  return `${[header, ...rows].join('\n')}\n`;
}

// ---------------------------------------------------------------- JUnit

export function renderLoadJunit(result: LoadResult): string {
  const failures = result.thresholds.filter((t) => !t.ok).length;
  const seconds = junitSeconds(result.durationMs);
  const name = `radmfa load ${result.profile.name}`;
  const cases = result.thresholds.map((t) => {
    const caseName = escapeXmlAttribute(`${t.metric} ${t.threshold}`);
    const open = `    <testcase classname="${escapeXmlAttribute(`thresholds.${t.metric}`)}" name="${caseName}" time="${seconds}">`;
    if (t.ok)
      return `${open}\n      <system-out>${escapeXml(`measured ${t.actual}`)}</system-out>\n    </testcase>`;
    return `${open}\n      <failure message="${escapeXmlAttribute(describeVerdict(t))}" type="threshold">${escapeXml(describeVerdict(t))}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXmlAttribute(name)}" tests="${result.thresholds.length}" failures="${failures}" time="${seconds}">`,
    `  <testsuite name="${escapeXmlAttribute(name)}" tests="${result.thresholds.length}" failures="${failures}" errors="0" skipped="0" time="${seconds}" timestamp="${escapeXmlAttribute(result.startedAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- Markdown

const KEY_METRICS: readonly MetricName[] = [
  'radius_access_duration',
  'radius_mfa_wait',
  'iterations',
  'radius_accepts',
  'radius_rejects',
  'radius_timeouts',
  'radius_accounting_timeouts',
  'radius_retransmits',
  'radius_discards',
  'mfa_prompts_per_login',
  'dropped_iterations',
];

export function renderLoadMarkdown(result: LoadResult): string {
  const passed = result.passed;
  const stop = stopWords(result);
  const lines = [
    `## ${passed ? '✅' : '❌'} radmfa load: ${escapeMarkdown(result.profile.name)}`,
    '',
    `${escapeMarkdown(verdictWord(result))}${stop !== undefined ? `; ${escapeMarkdown(stop)}` : ''}. ` +
      `Target: ${escapeMarkdown(result.target.description)}; segments ${escapeMarkdown(result.segments.join(', '))}; ` +
      `${(result.durationMs / 1000).toFixed(1)} s.`,
    '',
  ];
  if (result.thresholds.length > 0) {
    lines.push('| | Metric | Threshold | Measured |', '|---|---|---|---|');
    for (const t of result.thresholds) {
      lines.push(
        `| ${t.ok ? '✅' : '❌'} | \`${t.metric}\` | \`${t.threshold.replace(/`/g, '')}\` | ${format(t.actual)} |`,
      );
    }
    lines.push('');
  }
  lines.push('| Metric | Value |', '|---|---|');
  for (const name of KEY_METRICS) lines.push(`| \`${name}\` | ${escapeMarkdown(metricLine(result, name))} |`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- HTML

const CSS = `
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--pass:#15803d;--fail:#b91c1c}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);background:#f8fafc}
.page{max-width:1000px;margin:0 auto;padding:24px}
section{background:#fff;border:1px solid var(--line);border-radius:12px;padding:16px 20px;margin:16px 0}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 10px}
.muted{color:var(--muted)}.ok{color:var(--pass);font-weight:600}.bad{color:var(--fail);font-weight:600}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line)}
td.num{font-variant-numeric:tabular-nums}code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
svg.linechart{display:block;max-width:100%;height:auto;font:11px system-ui,sans-serif}
.linechart .grid{stroke:#e2e8f0}.linechart .tick{fill:#64748b}.linechart .axis-label{fill:#94a3b8}
footer{color:var(--muted);font-size:13px;text-align:center}
`;

export function renderLoadHtml(result: LoadResult): string {
  const series = result.series;
  const stop = stopWords(result);
  const thresholds =
    result.thresholds.length === 0
      ? '<p class="muted">No thresholds were set.</p>'
      : `<table><thead><tr><th></th><th>Metric</th><th>Threshold</th><th>Measured</th></tr></thead><tbody>${result.thresholds
          .map(
            (t) =>
              `<tr><td class="${t.ok ? 'ok' : 'bad'}">${t.ok ? '✓ pass' : '✗ fail'}</td><td><code>${esc(t.metric)}</code></td>` +
              `<td><code>${esc(t.threshold)}</code></td><td class="num">${esc(format(t.actual))}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const metrics = `<table><thead><tr><th>Metric</th><th>Value</th><th>Meaning</th></tr></thead><tbody>${metricNames
    .map((name) => {
      const definition: MetricDefinition = metricDefinitions[name];
      return `<tr><td><code>${esc(name)}</code></td><td class="num">${esc(metricLine(result, name))}</td><td class="muted">${esc(definition.help)}</td></tr>`;
    })
    .join('')}</tbody></table>`;
  const throughput = lineChartSvg(
    [
      { name: 'offered', colour: '#94a3b8', values: series.map((r) => r.offered), dashed: true },
      { name: 'sent', colour: '#2563eb', values: series.map((r) => r.sent) },
      { name: 'received', colour: '#16a34a', values: series.map((r) => r.received) },
      { name: 'timeouts', colour: '#dc2626', values: series.map((r) => r.timeouts) },
      { name: 'in flight', colour: '#d97706', values: series.map((r) => r.inFlight) },
    ],
    'throughput per second',
    'per second',
  );
  const latency = lineChartSvg(
    [
      { name: 'p50', colour: '#16a34a', values: series.map((r) => r.p50) },
      { name: 'p95', colour: '#d97706', values: series.map((r) => r.p95) },
      { name: 'p99', colour: '#dc2626', values: series.map((r) => r.p99) },
    ],
    'login latency per second',
    'ms (logins ending in that second)',
  );
  const scenarios = Object.entries(result.profile.scenarios)
    .map(([name, s]) => `<li><code>${esc(name)}</code>: ${esc(s.executor)}, ${esc(s.description)}</li>`)
    .join('');
  const title = `radmfa load ${result.profile.name}: ${verdictWord(result)}`;
  return `${htmlDocumentStart(title, CSS)}<div class="page">
<header><h1>${esc(title)}</h1>
<p class="muted">${esc(result.target.description)}; segments ${esc(result.segments.join(', '))}; ${esc((result.durationMs / 1000).toFixed(1))} s; ${esc(result.profile.users)}; started ${esc(result.startedAt)}${stop !== undefined ? `; <span class="bad">${esc(stop)}</span>` : ''}</p>
<ul>${scenarios}</ul></header>
<main>
<section><h2>Thresholds</h2>${thresholds}</section>
<section><h2>Throughput</h2>${throughput}</section>
<section><h2>Latency over time</h2>${latency}</section>
<section><h2>Metrics</h2>${metrics}</section>
</main>
<footer>Rendered by radmfa ${esc(result.tool.version)} from results.json (schemaVersion ${result.schemaVersion}).</footer>
</div>
</body>
</html>
`;
}

/** Writes every report of a load run into `dir` (created if missing). */
export async function writeLoadReports(result: LoadResult, dir: string): Promise<LoadReportFiles> {
  await mkdir(dir, { recursive: true });
  const files: LoadReportFiles = {
    results: join(dir, LOAD_REPORT_FILE_NAMES.results),
    junit: join(dir, LOAD_REPORT_FILE_NAMES.junit),
    csv: join(dir, LOAD_REPORT_FILE_NAMES.csv),
    summary: join(dir, LOAD_REPORT_FILE_NAMES.summary),
    html: join(dir, LOAD_REPORT_FILE_NAMES.html),
  };
  await writeFile(files.results, serializeLoadResult(result));
  await Promise.all([
    writeFile(files.junit, renderLoadJunit(result)),
    writeFile(files.csv, renderLoadCsv(result)),
    writeFile(files.summary, renderLoadMarkdown(result)),
    writeFile(files.html, renderLoadHtml(result)),
  ]);
  return files;
}
