// summary.md: the run in GitHub-flavoured Markdown, for people and for CI job summaries
// ($GITHUB_STEP_SUMMARY). Totals first, then one table per suite, what failed and why, every matrix
// (nas-timeouts: NAS profile x MFA response time) and the properties.
import { appendFile } from 'node:fs/promises';
import type {
  CaseResult,
  CaseStatus,
  ConformanceResult,
  PropertyResult,
  SuiteResult,
} from '../scenarios/result.ts';
import {
  allCases,
  caseOutcome,
  collectMatrices,
  countsLine,
  duplicateBehaviourOf,
  failureLine,
  formatDuration,
  observedLine,
  differencesLine,
  unobservedLine,
  warningsLine,
  visibleText,
  type Matrix,
} from './text.ts';

const STATUS_MARK: Readonly<Record<CaseStatus, string>> = {
  passed: '✅ passed',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
};

/**
 * Text inside a table cell or a line: GitHub renders inline HTML and emphasis, so markup characters
 * are entities or backslash-escaped, a pipe would end the cell and a newline would end the row.
 */
export function escapeMarkdown(text: string): string {
  return visibleText(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~])/g, '\\$1')
    .replace(/\r?\n/g, ' ');
}

const md = escapeMarkdown;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

function overview(result: ConformanceResult): string[] {
  const { summary } = result;
  const verdict = summary.failed > 0 ? '❌' : '✅';
  const lines = [
    `# ${verdict} radmfa conformance: ${countsLine(summary)}`,
    '',
    `Target: ${md(result.target.description)} (\`${md(result.target.kind)}\`` +
      `${result.target.address === undefined ? '' : ` at ${md(result.target.address)}`}). ` +
      `Started ${md(result.startedAt)}, took ${formatDuration(result.durationMs)}, seed ${result.seed}, ` +
      `radmfa ${md(result.tool.version)}.`,
    '',
  ];
  const rows = result.suites.map((suite) => [
    `[${md(suite.name)}](#suite-${anchor(suite.name)})`,
    String(suite.summary.passed),
    String(suite.summary.failed),
    String(suite.summary.skipped),
    String(suite.summary.total),
    formatDuration(suite.durationMs),
  ]);
  return [...lines, ...table(['suite', 'passed', 'failed', 'skipped', 'total', 'time'], rows), ''];
}

/** GitHub's heading anchors: lower case, spaces to '-', punctuation dropped. */
function anchor(name: string): string {
  return `${name} `
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

function reasonOf(result: CaseResult): string {
  if (result.reason !== undefined) return md(result.reason);
  const first = result.failures[0];
  return first === undefined ? '' : md(failureLine(first));
}

function passedDetail(c: CaseResult): string {
  const duplicates = duplicateBehaviourOf(c);
  return md(
    [
      caseOutcome(c),
      duplicates === undefined ? undefined : `duplicates: ${duplicates}`,
      warningsLine(c),
      differencesLine(c),
      unobservedLine(c),
    ]
      .filter(Boolean)
      .join('; '),
  );
}

function suiteSection(suite: SuiteResult): string[] {
  const lines = [
    `## Suite ${md(suite.name)}`,
    '',
    `${md(suite.description)}: ${countsLine(suite.summary)} in ${formatDuration(suite.durationMs)}` +
      `${suite.file === undefined ? '' : ` (\`${md(suite.file)}\`)`}.`,
    '',
  ];
  const rows = suite.cases.map((c) => [
    STATUS_MARK[c.status],
    `${md(c.title)} (\`${md(c.id)}\`)`,
    md(c.target),
    c.status === 'passed' ? passedDetail(c) : reasonOf(c),
  ]);
  lines.push(...table(['status', 'case', 'target', 'outcome / reason'], rows), '');
  const failing = suite.cases.filter((c) => c.status === 'failed');
  if (failing.length > 0) {
    lines.push(`### Failures in ${md(suite.name)}`, '');
    for (const c of failing) {
      lines.push(`- **${md(c.title)}** (\`${md(c.id)}\`): ${md(c.why)}`);
      const failures = c.failures.length > 0 ? c.failures.map(failureLine) : [c.reason ?? 'failed'];
      for (const failure of failures) lines.push(`  - ${md(failure)}`);
      if (observedLine(c) !== '') lines.push(`  - observed: ${md(observedLine(c))}`);
      if (differencesLine(c) !== '') lines.push(`  - ${md(differencesLine(c))}`);
    }
    lines.push('');
  }
  return lines;
}

function matrixCell(c: CaseResult | undefined): string {
  if (c === undefined) return '';
  const outcome = caseOutcome(c);
  if (c.status === 'skipped') return '⏭️ skipped';
  return `${c.status === 'passed' ? '✅' : '❌'} ${md(outcome ?? c.status)}`;
}

function matrixSection(matrix: Matrix): string[] {
  const rows = matrix.rows.map((row) => [
    `**${md(row)}**`,
    ...matrix.columns.map((column) => matrixCell(matrix.cell(row, column))),
  ]);
  return [
    `## Matrix ${md(matrix.name)}`,
    '',
    '✅ behaved as the suite expects, ❌ did not, ⏭️ skipped; the word is what the login ended with.',
    '',
    ...table(
      [
        md(matrix.axes === undefined ? matrix.name : `${matrix.axes.rows} / ${matrix.axes.columns}`),
        ...matrix.columns.map(md),
      ],
      rows,
    ),
    '',
  ];
}

function propertiesSection(properties: readonly PropertyResult[]): string[] {
  const rows = properties.map((p) => [
    STATUS_MARK[p.status],
    `${md(p.title)} (\`${md(p.name)}\`)`,
    String(p.runs),
    String(p.logins),
    `\`--seed ${p.seed}\`${p.path === undefined ? '' : ` path \`${md(p.path)}\``}`,
    md(
      [p.reason, p.counterexample === undefined ? undefined : `counterexample ${p.counterexample}`]
        .filter((part) => part !== undefined)
        .join('; '),
    ),
  ]);
  return [
    '## Properties',
    '',
    ...table(['status', 'property', 'runs', 'logins', 'replay', 'reason'], rows),
    '',
  ];
}

/** Renders summary.md from the result JSON alone. */
export function renderSummaryMarkdown(result: ConformanceResult): string {
  const lines = [...overview(result)];
  for (const suite of result.suites) lines.push(...suiteSection(suite));
  for (const matrix of collectMatrices(allCases(result.suites))) lines.push(...matrixSection(matrix));
  if (result.properties !== undefined && result.properties.length > 0) {
    lines.push(...propertiesSection(result.properties));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The environment variables appendStepSummary reads (a parameter, so tests need not touch process.env). */
export type StepSummaryEnv = Readonly<Record<string, string | undefined>>;

/**
 * Appends the summary to the file GitHub Actions names in $GITHUB_STEP_SUMMARY, so the job page
 * shows it. Returns the file written, or undefined when the variable is unset or empty (not CI).
 */
export async function appendStepSummary(markdown: string, env: StepSummaryEnv): Promise<string | undefined> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file === undefined || file === '') return undefined;
  await appendFile(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return file;
}
