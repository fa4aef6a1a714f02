// A case's server warnings (settings that weaken MFA, such as fail-open) are in the result JSON; every
// report shows them, for passed cases too, since a passing run with fail-open configured is still
// something a reader must see.
import { describe, expect, it } from 'vitest';
import { formatCaseLine } from '../../cli/run.ts';
import { renderHtml, renderJunit, renderSummaryMarkdown } from '../../reports/index.ts';
import { junitCaseName } from '../../reports/junit.ts';
import { observedLine, warningsLine } from '../../reports/text.ts';
import type { CaseResult, ConformanceResult } from '../../scenarios/result.ts';
import { FAILING_DEDUPE_CASE, sampleResult } from './sample-result.ts';
import { findAll, parseXml } from './xml.ts';

const FAIL_OPEN: CaseResult = {
  suite: 'mfa',
  id: 'fail-open-service-5xx',
  title: 'Fail-open lets alice in when the MFA service answers 5xx',
  why: 'seed: fail-open mode',
  target: 'embedded-virtual',
  status: 'passed',
  failures: [],
  durationMs: 12,
  steps: [{ kind: 'login', label: 'alice pap', outcome: 'accept', durationMs: 10 }],
  observed: { mfaPrompts: 0, warnings: { 'fail-open-configured': 1, 'mfa-fail-open': 2 } },
  timeline: [],
};

const FAILING_WITH_WARNING: CaseResult = {
  ...FAILING_DEDUPE_CASE,
  observed: { ...FAILING_DEDUPE_CASE.observed, warnings: { 'require-user-match-false': 1 } },
};

function withCases(): ConformanceResult {
  const base = sampleResult();
  return {
    ...base,
    suites: base.suites.map((suite) =>
      suite.name === 'dedupe'
        ? {
            ...suite,
            cases: [
              ...suite.cases.map((c) => (c.id === FAILING_DEDUPE_CASE.id ? FAILING_WITH_WARNING : c)),
              FAIL_OPEN,
            ],
          }
        : suite,
    ),
  };
}

const WARNED = 'server warnings: fail-open-configured, mfa-fail-open x2';

describe('server warnings in the reports', () => {
  it('names every warning code with its count, and nothing for a case without warnings', () => {
    expect(warningsLine(FAIL_OPEN)).toBe(WARNED);
    expect(observedLine(FAIL_OPEN)).toBe(`MFA prompts 0 · ${WARNED}`);
    expect(warningsLine(FAILING_DEDUPE_CASE)).toBe('');
    expect(warningsLine({ ...FAIL_OPEN, observed: { warnings: { 'fail-open-configured': 0 } } })).toBe('');
  });

  it('the run line of a passed case names its warnings', () => {
    expect(formatCaseLine(FAIL_OPEN)).toMatch(
      /^ {2}pass {2}mfa\/fail-open-service-5xx .* \(server warnings: /,
    );
    expect(formatCaseLine(FAIL_OPEN)).toContain(WARNED);
  });

  it('summary.md shows them beside a passed case and under a failed one', () => {
    const md = renderSummaryMarkdown(withCases());
    const row = md.split('\n').find((line) => line.includes('`fail-open-service-5xx`'));
    expect(row).toContain(`accept; ${WARNED}`);
    expect(md).toContain(
      '  - observed: MFA prompts 2 · discards in-flight 1 · server warnings: require-user-match-false',
    );
  });

  it('index.html shows them in the suite table and in the failing case', () => {
    const html = renderHtml(withCases());
    expect(html).toContain(`<span class="warnings">${WARNED}</span>`);
    expect(html).toContain(
      '<p class="observed">Observed: MFA prompts 2 · discards in-flight 1 · server warnings: require-user-match-false</p>',
    );
  });

  it("junit.xml carries them in each case's system-out, passed or failed", () => {
    const root = parseXml(renderJunit(withCases()));
    const out = (c: CaseResult): string =>
      findAll(root, 'testcase')
        .filter((t) => t.attributes.name === junitCaseName(c))
        .flatMap((t) => findAll(t, 'system-out'))[0]?.text ?? '';
    expect(out(FAIL_OPEN)).toContain(`observed: MFA prompts 0 · ${WARNED}`);
    expect(out(FAILING_WITH_WARNING)).toContain('server warnings: require-user-match-false');
  });
});
