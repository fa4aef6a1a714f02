// index.html: the run as one self-contained page a person would rather look at than read. Inline CSS
// and SVG only, no script and no network: a Content-Security-Policy forbids anything else, so the
// page works from a CI artifact, an e-mail or a file:// URL, and a hostile title stays text.
import type {
  CaseResult,
  CaseStatus,
  ConformanceResult,
  PropertyResult,
  SuiteResult,
} from '../scenarios/result.ts';
import { histogramSvg, TONE_COLOUR, TONE_MEANING, TONES, timelineSvg } from './svg.ts';
import {
  allCases,
  caseOutcome,
  collectMatrices,
  countsLine,
  duplicateBehaviourOf,
  escapeHtml as esc,
  failureLine,
  formatAt,
  formatDuration,
  htmlDocumentStart,
  IdRegistry,
  observedLine,
  differencesLine,
  warningsLine,
  type Matrix,
} from './text.ts';

const STATUS_ICON: Readonly<Record<CaseStatus, string>> = { passed: '✓', failed: '✗', skipped: '–' };

function status(value: CaseStatus): string {
  return `<span class="status status-${value}">${STATUS_ICON[value]} ${value}</span>`;
}

/** Ids for every section and case, unique in the page and stable for links from CI or chat. */
class PageIds {
  private readonly registry = new IdRegistry();

  suite(name: string): string {
    return this.registry.id(`suite\u0000${name}`, 'suite', name);
  }

  matrix(name: string): string {
    return this.registry.id(`matrix\u0000${name}`, 'matrix', name);
  }

  caseRow(c: CaseResult): string {
    return this.registry.id(`case\u0000${c.suite}\u0000${c.id}`, 'case', c.suite, c.id);
  }

  timeline(c: CaseResult): string {
    return this.registry.id(`timeline\u0000${c.suite}\u0000${c.id}`, 'timeline', c.suite, c.id);
  }

  histogram(name: string): string {
    return this.registry.id(`latency\u0000${name}`, 'latency', name);
  }
}

/** A proportional pass/fail/skip bar (plain divs: no script, scales with the page). */
function countsBar(counts: { passed: number; failed: number; skipped: number; total: number }): string {
  if (counts.total === 0) return '';
  const part = (kind: CaseStatus, n: number): string =>
    n === 0 ? '' : `<span class="bar-${kind}" style="flex-grow:${n}" title="${n} ${kind}"></span>`;
  return (
    `<div class="counts-bar" role="img" aria-label="${esc(countsLine(counts))}">` +
    `${part('passed', counts.passed)}${part('failed', counts.failed)}${part('skipped', counts.skipped)}</div>`
  );
}

function header(result: ConformanceResult): string {
  const { summary, target } = result;
  const verdict = summary.failed > 0 ? 'failed' : 'passed';
  const chip = (kind: CaseStatus, n: number): string =>
    `<div class="chip chip-${kind}"><span class="chip-n">${n}</span> ${kind}</div>`;
  return `<header class="page-header">
<div class="title-row"><h1>radmfa conformance report</h1>${status(verdict)}</div>
<p class="target">Target: <strong>${esc(target.description)}</strong> <code>${esc(target.kind)}</code>${
    target.address === undefined ? '' : ` at <code>${esc(target.address)}</code>`
  }</p>
<div class="chips">${chip('passed', summary.passed)}${chip('failed', summary.failed)}${chip('skipped', summary.skipped)}<div class="chip chip-total"><span class="chip-n">${summary.total}</span> cases</div></div>
${countsBar(summary)}
<dl class="facts"><div><dt>Started</dt><dd>${esc(result.startedAt)}</dd></div><div><dt>Took</dt><dd>${esc(formatDuration(result.durationMs))}</dd></div><div><dt>Seed</dt><dd><code>${result.seed}</code></dd></div><div><dt>radmfa</dt><dd>${esc(result.tool.version)}</dd></div><div><dt>Result schema</dt><dd>v${result.schemaVersion}</dd></div></dl>
</header>`;
}

function contents(
  result: ConformanceResult,
  ids: PageIds,
  matrices: readonly Matrix[],
  failing: readonly CaseResult[],
): string {
  const suites = result.suites.map(
    (suite) =>
      `<li><a href="#${ids.suite(suite.name)}">${esc(suite.name)}</a> <span class="muted">${suite.summary.failed > 0 ? `${suite.summary.failed} failed` : `${suite.summary.passed}/${suite.summary.total}`}</span></li>`,
  );
  const more = [
    ...matrices.map((m) => `<li><a href="#${ids.matrix(m.name)}">Matrix: ${esc(m.name)}</a></li>`),
    failing.length > 0 ? `<li><a href="#failing">Failing cases (${failing.length})</a></li>` : '',
    `<li><a href="#latency">Latency</a></li>`,
    (result.properties?.length ?? 0) > 0 ? `<li><a href="#properties">Properties</a></li>` : '',
  ];
  return `<nav class="contents" aria-label="Contents"><h2 class="nav-title">Contents</h2><ul><li><a href="#overview">Suites</a><ul>${suites.join('')}</ul></li>${more.join('')}</ul></nav>`;
}

function overview(result: ConformanceResult, ids: PageIds): string {
  const rows = result.suites.map(
    (suite) =>
      `<tr><th scope="row"><a href="#${ids.suite(suite.name)}">${esc(suite.name)}</a></th><td>${esc(suite.description)}</td>` +
      `<td class="num">${suite.summary.passed}</td><td class="num">${suite.summary.failed}</td><td class="num">${suite.summary.skipped}</td>` +
      `<td class="num">${suite.summary.total}</td><td class="num">${esc(formatDuration(suite.durationMs))}</td><td class="bar-cell">${countsBar(suite.summary)}</td></tr>`,
  );
  return `<section id="overview" aria-labelledby="overview-h"><h2 id="overview-h">Suites</h2>
<table class="data"><thead><tr><th scope="col">Suite</th><th scope="col">Description</th><th scope="col">Passed</th><th scope="col">Failed</th><th scope="col">Skipped</th><th scope="col">Total</th><th scope="col">Time</th><th scope="col"><span class="sr-only">Proportion</span></th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

function detail(c: CaseResult, ids: PageIds): string {
  if (c.status === 'skipped') return `<span class="reason">${esc(c.reason ?? 'skipped')}</span>`;
  if (c.status === 'passed') {
    const duplicates = duplicateBehaviourOf(c);
    return (
      `<span class="outcome">${esc(caseOutcome(c) ?? '')}</span>` +
      (duplicates === undefined ? '' : ` <span class="duplicates">duplicates: ${esc(duplicates)}</span>`) +
      (warningsLine(c) === '' ? '' : ` <span class="warnings">${esc(warningsLine(c))}</span>`) +
      (differencesLine(c) === '' ? '' : ` <span class="differs">${esc(differencesLine(c))}</span>`)
    );
  }
  const failures = c.failures.length > 0 ? c.failures.map(failureLine) : [c.reason ?? 'failed'];
  return (
    `<ul class="failures">${failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` +
    `<a class="timeline-link" href="#${ids.timeline(c)}">timeline ↓</a>`
  );
}

function suiteSection(suite: SuiteResult, ids: PageIds): string {
  const id = ids.suite(suite.name);
  const rows = suite.cases.map(
    (c) =>
      `<tr id="${ids.caseRow(c)}" class="row-${c.status}"><td>${status(c.status)}</td>` +
      `<th scope="row"><span class="case-title">${esc(c.title)}</span><code class="case-id">${esc(c.id)}</code><span class="why">${esc(c.why)}</span></th>` +
      `<td><code>${esc(c.target)}</code></td><td class="num">${esc(formatDuration(c.durationMs))}</td><td>${detail(c, ids)}</td></tr>`,
  );
  const verdict: CaseStatus =
    suite.summary.failed > 0 ? 'failed' : suite.summary.passed > 0 ? 'passed' : 'skipped';
  return `<section id="${id}" class="suite suite-${verdict}" aria-labelledby="${id}-h">
<h2 id="${id}-h">${esc(suite.name)} ${status(verdict)}</h2>
<p>${esc(suite.description)}. <span class="muted">${esc(countsLine(suite.summary))} in ${esc(formatDuration(suite.durationMs))}${
    suite.file === undefined ? '' : ` · <code>${esc(suite.file)}</code>`
  }</span></p>
<table class="data cases"><thead><tr><th scope="col">Status</th><th scope="col">Case</th><th scope="col">Target</th><th scope="col">Time</th><th scope="col">Outcome, reason or failures</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

function matrixCell(c: CaseResult | undefined, ids: PageIds): string {
  if (c === undefined) return `<td class="cell cell-none"><span class="sr-only">no case</span>·</td>`;
  const outcome = caseOutcome(c);
  const tip = [
    c.title,
    c.reason ?? (c.status === 'passed' ? `${outcome ?? 'passed'} as expected` : c.status),
  ].join(' — ');
  const text = c.status === 'skipped' ? 'skipped' : (outcome ?? c.status);
  const accept = outcome === 'accept' ? ' outcome-accept' : '';
  const link = c.status === 'failed' ? ids.timeline(c) : ids.caseRow(c);
  return `<td class="cell cell-${c.status}${accept}" title="${esc(tip)}"><a href="#${link}">${STATUS_ICON[c.status]} ${esc(text)}</a></td>`;
}

function matrixSection(matrix: Matrix, ids: PageIds): string {
  const id = ids.matrix(matrix.name);
  const axes = matrix.axes ?? { rows: 'row', columns: 'column' };
  const head = matrix.columns.map((column) => `<th scope="col">${esc(column)}</th>`).join('');
  const rows = matrix.rows.map(
    (row) =>
      `<tr><th scope="row">${esc(row)}</th>${matrix.columns.map((column) => matrixCell(matrix.cell(row, column), ids)).join('')}</tr>`,
  );
  return `<section id="${id}" class="matrix" aria-labelledby="${id}-h">
<h2 id="${id}-h">Matrix: ${esc(matrix.name)}</h2>
<p class="legend"><span class="swatch cell-passed"></span> behaved as expected <span class="swatch cell-failed"></span> did not <span class="swatch cell-skipped"></span> skipped. The word is what the login ended with; hover a cell for the case and the reason.</p>
<table class="matrix-table"><caption class="sr-only">${esc(matrix.name)}: ${esc(axes.rows)} by ${esc(axes.columns)}</caption>
<thead><tr><th scope="col" class="corner">${esc(axes.rows)} ↓ · ${esc(axes.columns)} →</th>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table></section>`;
}

function stepsTable(c: CaseResult): string {
  if (c.steps.length === 0) return '';
  const rows = c.steps.map(
    (s) =>
      `<tr><td><code>${esc(s.kind)}</code></td><td>${esc(s.label)}</td><td>${esc(s.outcome)}${s.replyCode === undefined ? '' : ` <span class="muted">${esc(s.replyCode)}</span>`}</td>` +
      `<td class="num">${s.transmissions ?? ''}</td><td class="num">${s.durationMs === undefined ? '' : esc(formatDuration(s.durationMs))}</td></tr>`,
  );
  return `<table class="data steps"><caption>Steps</caption><thead><tr><th scope="col">Kind</th><th scope="col">Step</th><th scope="col">Outcome</th><th scope="col">Sent</th><th scope="col">Time</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function timelineText(c: CaseResult): string {
  const rows = c.timeline.map(
    (e) =>
      `<tr><td class="num">${esc(formatAt(e.atMs))}</td><td>${esc(e.from)} → ${esc(e.to)}</td><td>${esc(e.label)}</td><td>${esc(e.tone ?? 'normal')}</td></tr>`,
  );
  return `<details><summary>Timeline as a table</summary><table class="data"><thead><tr><th scope="col">At</th><th scope="col">From → to</th><th scope="col">Message</th><th scope="col">Tone</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}

function legend(): string {
  return `<p class="legend tones">${TONES.map(
    (tone) =>
      `<span class="tone-key"><svg width="26" height="10" aria-hidden="true"><line x1="1" y1="5" x2="25" y2="5" stroke="${TONE_COLOUR[tone]}" stroke-width="3"${tone === 'retransmit' || tone === 'timeout' ? ' stroke-dasharray="5 3"' : ''}/></svg>${TONE_MEANING[tone]}</span>`,
  ).join('')}</p>`;
}

function failingSection(failing: readonly CaseResult[], ids: PageIds): string {
  if (failing.length === 0) return '';
  const articles = failing.map((c) => {
    const id = ids.timeline(c);
    const failures = c.failures.length > 0 ? c.failures.map(failureLine) : [c.reason ?? 'failed'];
    const drawing =
      c.timeline.length === 0
        ? `<p class="muted">No packet timeline was recorded for this case.</p>`
        : `<div class="timeline-scroll">${timelineSvg(c.timeline, `${id}-svg`, `Packet timeline of ${c.suite} / ${c.title}`)}</div>${timelineText(c)}`;
    return `<article id="${id}" class="failing-case" aria-labelledby="${id}-h">
<h3 id="${id}-h"><span class="suite-tag">${esc(c.suite)}</span> ${esc(c.title)} <code class="case-id">${esc(c.id)}</code></h3>
<p class="why">Checks: ${esc(c.why)} · target <code>${esc(c.target)}</code> · ${esc(formatDuration(c.durationMs))}</p>
<ul class="failures">${failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>
${observedLine(c) === '' ? '' : `<p class="observed">Observed: ${esc(observedLine(c))}</p>`}
${differencesLine(c) === '' ? '' : `<p class="observed">${esc(differencesLine(c))}</p>`}
${drawing}
${stepsTable(c)}
</article>`;
  });
  return `<section id="failing" aria-labelledby="failing-h"><h2 id="failing-h">Failing cases</h2>
${legend()}
${articles.join('\n')}</section>`;
}

function latencySection(result: ConformanceResult, ids: PageIds): string {
  const figures = result.suites.map((suite) => {
    const durations = suite.cases.flatMap((c) =>
      c.steps.flatMap((s) => (s.durationMs === undefined ? [] : [s.durationMs])),
    );
    const sorted = [...durations].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    const max = sorted[sorted.length - 1];
    const stats =
      median === undefined || max === undefined
        ? ''
        : `${durations.length} steps · median ${esc(formatDuration(median))} · max ${esc(formatDuration(max))}`;
    return `<figure id="${ids.histogram(suite.name)}" class="histogram-figure"><figcaption><strong>${esc(suite.name)}</strong> <span class="muted">${stats}</span></figcaption>${histogramSvg(durations, `Step durations in suite ${suite.name}`)}</figure>`;
  });
  return `<section id="latency" aria-labelledby="latency-h"><h2 id="latency-h">Latency</h2>
<p class="muted">Step durations per suite, from the first datagram to the final reply or give-up, in 1-2-5 bins.</p>
<div class="histograms">${figures.join('\n')}</div></section>`;
}

function propertiesSection(properties: readonly PropertyResult[]): string {
  if (properties.length === 0) return '';
  const rows = properties.map(
    (p) =>
      `<tr class="row-${p.status}"><td>${status(p.status)}</td><th scope="row"><span class="case-title">${esc(p.title)}</span><code class="case-id">${esc(p.name)}</code><span class="why">${esc(p.why)}</span></th>` +
      `<td class="num">${p.runs}</td><td class="num">${p.logins}</td><td><code>--seed ${p.seed}</code>${p.path === undefined ? '' : ` path <code>${esc(p.path)}</code>`}</td>` +
      `<td>${esc(p.reason ?? '')}${p.counterexample === undefined ? '' : `<pre class="counterexample">${esc(p.counterexample)}</pre>`}</td><td class="num">${esc(formatDuration(p.durationMs))}</td></tr>`,
  );
  return `<section id="properties" aria-labelledby="properties-h"><h2 id="properties-h">Properties</h2>
<table class="data"><thead><tr><th scope="col">Status</th><th scope="col">Property</th><th scope="col">Runs</th><th scope="col">Logins</th><th scope="col">Replay</th><th scope="col">Reason</th><th scope="col">Time</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

const CSS = `
:root{color-scheme:light;--pass:#15803d;--pass-bg:#dcfce7;--pass-cell:#86efac;--fail:#b91c1c;--fail-bg:#fee2e2;--fail-cell:#fca5a5;--skip:#4b5563;--skip-bg:#f3f4f6;--skip-cell:#d1d5db;--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--accent:#1d4ed8}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#f8fafc}
.page{max-width:1200px;margin:0 auto;padding:24px 28px 64px}
a{color:var(--accent)}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f1f5f9;padding:1px 5px;border-radius:4px}
h1{font-size:26px;margin:0}
h2{font-size:20px;margin:0 0 10px;display:flex;align-items:center;gap:10px}
h3{font-size:16px;margin:0 0 6px}
section,.page-header{background:#fff;border:1px solid var(--line);border-radius:12px;padding:20px 22px;margin:0 0 20px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
.suite-failed{border-left:5px solid var(--fail)}.suite-passed{border-left:5px solid var(--pass)}.suite-skipped{border-left:5px solid var(--skip-cell)}
.title-row{display:flex;align-items:center;gap:14px;flex-wrap:wrap}
.target{margin:6px 0 14px;color:#334155}
.muted{color:var(--muted)}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.status{display:inline-block;font-size:12px;font-weight:600;padding:2px 9px;border-radius:999px;white-space:nowrap;letter-spacing:.02em}
.status-passed{background:var(--pass-bg);color:var(--pass)}.status-failed{background:var(--fail-bg);color:var(--fail)}.status-skipped{background:var(--skip-bg);color:var(--skip)}
.chips{display:flex;gap:12px;flex-wrap:wrap;margin:0 0 12px}
.chip{border-radius:10px;padding:8px 16px;font-weight:600;min-width:110px}
.chip-n{display:block;font-size:28px;line-height:1.1}
.chip-passed{background:var(--pass-bg);color:var(--pass)}.chip-failed{background:var(--fail-bg);color:var(--fail)}.chip-skipped{background:var(--skip-bg);color:var(--skip)}.chip-total{background:#eff6ff;color:var(--accent)}
.counts-bar{display:flex;height:10px;border-radius:999px;overflow:hidden;background:var(--line);min-width:80px}
.bar-passed{background:#22c55e}.bar-failed{background:#ef4444}.bar-skipped{background:#9ca3af}
.facts{display:flex;flex-wrap:wrap;gap:6px 28px;margin:14px 0 0;font-size:13px}
.facts dt{color:var(--muted);display:inline}.facts dt::after{content:": "}.facts dd{display:inline;margin:0}
.contents{background:#fff;border:1px solid var(--line);border-radius:12px;padding:12px 22px;margin:0 0 20px;font-size:14px}
.nav-title{font-size:14px;margin:0 0 4px;color:var(--muted);text-transform:uppercase;letter-spacing:.06em}
.contents ul{margin:0;padding-left:18px}.contents>ul{display:flex;flex-wrap:wrap;gap:4px 26px;list-style:none;padding:0}
.contents>ul>li>ul{display:inline-flex;flex-wrap:wrap;gap:2px 16px;list-style:none;padding:0 0 0 12px}
table{border-collapse:collapse}
table.data{width:100%;font-size:14px}
.data th,.data td{text-align:left;vertical-align:top;padding:7px 10px;border-bottom:1px solid var(--line)}
.data thead th{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);border-bottom:2px solid var(--line)}
.data tbody th{font-weight:normal}
.data td code,.data tbody th a{white-space:nowrap}
.num{text-align:right!important;font-variant-numeric:tabular-nums;white-space:nowrap}
.row-failed{background:#fff7f7}
.case-title{display:block;font-weight:600}
.case-id{font-size:12px;color:var(--muted);background:none;padding:0}
.why{display:block;font-size:12px;color:var(--muted)}
.bar-cell{width:140px;vertical-align:middle!important}
ul.failures{margin:0;padding-left:18px;color:var(--fail)}
.failures li{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.reason{color:var(--skip);font-style:italic}
.duplicates{font-size:12px;background:#eef2ff;color:#3730a3;padding:1px 7px;border-radius:999px;white-space:nowrap}
.warnings{font-size:12px;background:#fef3c7;color:#92400e;padding:1px 7px;border-radius:999px}
.observed{font-size:13px;color:#334155;margin:6px 0}
.timeline-link{font-size:13px}
.legend{font-size:13px;color:#334155;display:flex;flex-wrap:wrap;align-items:center;gap:6px 14px}
.swatch{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:middle;margin-right:-8px}
.matrix-table{font-size:14px;margin-top:8px}
.matrix-table th{padding:8px 12px;text-align:left;font-weight:600}
.matrix-table th.corner{font-size:12px;font-weight:500;color:var(--muted);text-align:left}
.matrix-table thead th{text-align:center;color:#334155;border-bottom:2px solid var(--line)}
.matrix-table td.cell{padding:0;min-width:96px;text-align:center;border:3px solid #fff;border-radius:6px}
.cell a{display:block;padding:10px 12px;color:inherit;text-decoration:none;font-weight:600}
.cell a:hover,.cell a:focus{outline:2px solid var(--ink);outline-offset:-2px}
.cell-passed{background:var(--pass-cell);color:#14532d}.cell-passed:not(.outcome-accept) a{font-weight:500;font-style:italic}
.cell-failed{background:var(--fail-cell);color:#7f1d1d}
.cell-skipped{background:var(--skip-cell);color:#374151}
.cell-none{color:var(--muted)}
.failing-case{border-top:1px solid var(--line);padding-top:16px;margin-top:16px}
.failing-case:first-of-type{border-top:none;margin-top:0}
.suite-tag{font-size:12px;background:#eef2ff;color:#3730a3;padding:2px 8px;border-radius:999px;vertical-align:2px}
.timeline-scroll{overflow-x:auto;margin:10px 0;border:1px solid var(--line);border-radius:8px;background:#fcfcfd}
svg.timeline{display:block;font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
.timeline .actor rect{fill:#1e293b}.timeline .actor text{fill:#fff;font-weight:600}
.timeline .lifeline{stroke:#94a3b8;stroke-dasharray:3 4}
.timeline .time{fill:#475569;font-variant-numeric:tabular-nums}
.timeline .gap{fill:#94a3b8;font-size:11px;font-style:italic}
.timeline .label{font-weight:500;paint-order:stroke;stroke:#fcfcfd;stroke-width:4px;stroke-linejoin:round}
.tone-key{display:inline-flex;align-items:center;gap:5px}
details{margin:6px 0}summary{cursor:pointer;color:var(--accent);font-size:13px}
.steps caption{text-align:left;font-weight:600;font-size:13px;padding:8px 0 2px}
.histograms{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:18px}
.histogram-figure{margin:0;padding:12px 14px;border:1px solid var(--line);border-radius:10px;background:#fcfcfd}
.histogram-figure figcaption{font-size:13px;margin-bottom:6px}
svg.histogram{display:block;font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
.histogram .bar rect{fill:#3b82f6}.histogram .bar:hover rect{fill:#1d4ed8}
.histogram .grid{stroke:#e2e8f0}.histogram .tick{fill:#64748b}.histogram .count{fill:#1e293b;font-weight:600}.histogram .axis-label{fill:#94a3b8}
pre.counterexample{margin:4px 0 0;font-size:12px;white-space:pre-wrap;word-break:break-all;background:#f1f5f9;padding:6px 8px;border-radius:6px}
footer{color:var(--muted);font-size:13px;text-align:center}
`;

/** Renders index.html from the result JSON alone. */
export function renderHtml(result: ConformanceResult): string {
  const ids = new PageIds();
  const cases = allCases(result.suites);
  const matrices = collectMatrices(cases);
  const failing = cases.filter((c) => c.status === 'failed');
  // Register section ids in page order so a clash is resolved the same way on every render.
  const nav = contents(result, ids, matrices, failing);
  const title = `radmfa: ${countsLine(result.summary)} (${result.target.description})`;
  return `${htmlDocumentStart(title, CSS)}<div class="page">
${header(result)}
${nav}
<main>
${overview(result, ids)}
${result.suites.map((suite) => suiteSection(suite, ids)).join('\n')}
${matrices.map((matrix) => matrixSection(matrix, ids)).join('\n')}
${failingSection(failing, ids)}
${latencySection(result, ids)}
${propertiesSection(result.properties ?? [])}
</main>
<footer>Rendered by radmfa ${esc(result.tool.version)} from results.json (schemaVersion ${result.schemaVersion}).</footer>
</div>
</body>
</html>
`;
}
