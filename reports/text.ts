// Text helpers every renderer shares. Titles, reasons and labels come from suite files and from
// servers under test, so any of them may hold markup, quotes or raw control characters; each output
// format escapes them its own way, but all start by making control characters visible.
import type { CaseResult, CaseStatus, Counts, DuplicateBehaviour, StepResult } from '../scenarios/result.ts';

/**
 * Replaces characters no report can carry as they are: C0 controls other than tab, newline and
 * carriage return become their Unicode control pictures (U+0007 -> "␇"), DEL becomes "␡", and lone
 * surrogates and the non-characters U+FFFE/U+FFFF (which XML 1.0 forbids) become U+FFFD.
 */
export function visibleText(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- matching control characters is the point here
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (char) => {
      const code = char.charCodeAt(0);
      if (code < 0x20) return String.fromCharCode(0x2400 + code);
      if (code === 0x7f) return '\u2421';
      return '\ufffd';
    },
  );
}

/** Text for HTML element content and attribute values (always quoted with "). */
export function escapeHtml(text: string): string {
  return visibleText(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Text for XML 1.0 element content; a carriage return is a reference so parsers keep it. */
export function escapeXml(text: string): string {
  return visibleText(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;');
}

/**
 * Text for XML 1.0 attribute values: tab and newline are references too, because attribute-value
 * normalisation would otherwise turn them into spaces.
 */
export function escapeXmlAttribute(text: string): string {
  return escapeXml(text).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

/** A duration as people read it: "850 ms", "4.2 s", "1 min 30 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

/** A point on a case's timeline: "t=5.002 s", fixed width so columns line up in plain text. */
export function formatAt(ms: number): string {
  return `t=${(ms / 1000).toFixed(3)} s`;
}

/** JUnit's time attribute: seconds with millisecond precision. */
export function junitSeconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

export const STATUS_WORD: Readonly<Record<CaseStatus, string>> = {
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
};

export function countsLine(counts: Counts): string {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped of ${counts.total}`;
}

/** One failure as a sentence: "expect.mfaPrompts: expected 1, got 2". */
export function failureLine(failure: CaseResult['failures'][number]): string {
  return `${failure.expectation}: expected ${failure.expected}, got ${failure.actual}`;
}

/**
 * What a case ended with, for a matrix cell or a table: the outcome of its last login step (the
 * login is what a vendor's matrix is about), else of its last step.
 */
export function caseOutcome(result: CaseResult): string | undefined {
  const last = (steps: readonly StepResult[]): StepResult | undefined => steps[steps.length - 1];
  const logins = result.steps.filter((step) => step.kind === 'login');
  return (last(logins) ?? last(result.steps))?.outcome;
}

/**
 * A fragment identifier from free text: lower case, runs of anything but letters, digits, '-' and
 * '_' become one '-'. Ids are unique per document, so callers pass them through an IdRegistry.
 */
export function slug(text: string): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'x' : cleaned;
}

/** Hands out document-unique ids: the second "a-b" becomes "a-b-2". */
export class IdRegistry {
  private readonly used = new Set<string>();
  private readonly assigned = new Map<string, string>();

  /** The id for `key` (stable: the same key always gets the same id), built from `parts`. */
  id(key: string, ...parts: readonly string[]): string {
    const known = this.assigned.get(key);
    if (known !== undefined) return known;
    const base = parts.map(slug).join('-');
    let candidate = base;
    for (let n = 2; this.used.has(candidate); n += 1) candidate = `${base}-${n}`;
    this.used.add(candidate);
    this.assigned.set(key, candidate);
    return candidate;
  }
}

/** A matrix (nas-timeouts) gathered from the cases that fill its cells. */
export interface Matrix {
  readonly name: string;
  /** Row and column labels in the order the cases first name them (the suite file's order). */
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  /** What rows and columns stand for, when a case said so. */
  readonly axes?: { readonly rows: string; readonly columns: string };
  /** `cell(row, column)`: the case filling that cell, if any. */
  readonly cell: (row: string, column: string) => CaseResult | undefined;
}

/** Every matrix the cases of a run fill, in the order they first appear. */
export function collectMatrices(cases: readonly CaseResult[]): Matrix[] {
  interface Gathering {
    rows: string[];
    columns: string[];
    axes?: { readonly rows: string; readonly columns: string };
    cells: Map<string, CaseResult>;
  }
  const byName = new Map<string, Gathering>();
  for (const result of cases) {
    if (result.matrix === undefined) continue;
    const { name, row, column } = result.matrix;
    let matrix = byName.get(name);
    if (matrix === undefined) {
      matrix = { rows: [], columns: [], cells: new Map() };
      byName.set(name, matrix);
    }
    matrix.axes ??= result.matrix.axes;
    if (!matrix.rows.includes(row)) matrix.rows.push(row);
    if (!matrix.columns.includes(column)) matrix.columns.push(column);
    matrix.cells.set(JSON.stringify([row, column]), result);
  }
  return [...byName].map(([name, matrix]) => ({
    name,
    rows: matrix.rows,
    columns: orderColumns(matrix.columns),
    ...(matrix.axes === undefined ? {} : { axes: matrix.axes }),
    cell: (row, column) => matrix.cells.get(JSON.stringify([row, column])),
  }));
}

/**
 * Columns such as "2 s", "10 s", "90 s" sort by their leading number when every label has one;
 * otherwise they keep the suite file's order.
 */
function orderColumns(columns: readonly string[]): string[] {
  const leading = (label: string): number => Number.parseFloat(label);
  if (columns.every((label) => Number.isFinite(leading(label)))) {
    return [...columns].sort((a, b) => leading(a) - leading(b));
  }
  return [...columns];
}

export function allCases(suites: readonly { readonly cases: readonly CaseResult[] }[]): CaseResult[] {
  return suites.flatMap((suite) => suite.cases);
}

/** The duplicate behaviours named the way RFC 5080 and the NPS extension differ. */
export const DUPLICATE_BEHAVIOUR_WORDS: Readonly<Record<DuplicateBehaviour, string>> = {
  discard: 'discard (NPS)',
  replay: 'replay (RFC 5080 2.2.2)',
  reprocess: 'reprocess (no duplicate detection)',
};

/** What the server did with a retransmission, as the case or its steps observed it. */
export function duplicateBehaviourOf(result: CaseResult): string | undefined {
  const seen =
    result.observed?.duplicateBehaviour ?? result.steps.find((s) => s.duplicateBehaviour)?.duplicateBehaviour;
  return seen === undefined ? undefined : DUPLICATE_BEHAVIOUR_WORDS[seen];
}

/**
 * The warnings the server published during a case (settings that weaken MFA, such as fail-open),
 * start-up ones included, in one line; '' when there were none. Shown for passed cases too: a
 * warning is what a reader of a passing run should still see.
 */
export function warningsLine(result: CaseResult): string {
  const warnings = Object.entries(result.observed?.warnings ?? {}).filter(([, n]) => n > 0);
  if (warnings.length === 0) return '';
  return `server warnings: ${warnings.map(([code, n]) => (n === 1 ? code : `${code} x${n}`)).join(', ')}`;
}

/** What the embedded server and MFA service were seen to do, in one line; '' when nothing was. */
export function observedLine(result: CaseResult): string {
  const observed = result.observed;
  if (observed === undefined) return '';
  const counts = (what: string, table: Readonly<Record<string, number>> | undefined): string[] =>
    Object.entries(table ?? {}).map(([reason, n]) => `${what} ${reason} ${n}`);
  const warnings = warningsLine(result);
  return [
    observed.mfaPrompts === undefined ? undefined : `MFA prompts ${observed.mfaPrompts}`,
    ...counts('discards', observed.discards),
    ...counts('drops', observed.drops),
    warnings === '' ? undefined : warnings,
    observed.accountingRecords === undefined ? undefined : `accounting records ${observed.accountingRecords}`,
    observed.duplicateBehaviour === undefined
      ? undefined
      : `duplicates: ${DUPLICATE_BEHAVIOUR_WORDS[observed.duplicateBehaviour]}`,
  ]
    .filter((part) => part !== undefined)
    .join(' · ');
}

/** Where an external server differs from the NPS model, one line; '' when it does not. */
export function differencesLine(result: CaseResult): string {
  return (result.differences ?? []).map((d) => `differs: ${d.seen}`).join(' · ');
}

/** Expectations an external target could not observe (not judged), one line; '' when none. */
export function unobservedLine(result: CaseResult): string {
  const unobserved = result.unobserved ?? [];
  return unobserved.length === 0 ? '' : `not observable on this target: ${unobserved.join(', ')}`;
}

/**
 * The start of every self-contained HTML report, through `<body>`: inline CSS and data: images only.
 * The Content-Security-Policy forbids scripts and the network, so a report opened from a CI artifact
 * can neither run code nor call out.
 */
export function htmlDocumentStart(title: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body>
`;
}
