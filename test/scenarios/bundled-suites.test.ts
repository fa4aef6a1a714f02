// The bundled suites (the six issue 7 names, and personalities) (scenarios/suites/*.yaml) pass on the reference server: every case on
// embedded-virtual (skipped only where it lists no virtual target), and the quick suites on
// `embedded` as `npm start` runs them, over real loopback UDP where a case lists that first.
import { describe, expect, it } from 'vitest';
import { runConformance, type TargetSpec } from '../../scenarios/engine/index.ts';
import type { CaseResult } from '../../scenarios/result.ts';
import { bundledSuiteNames, loadSuites } from '../../scenarios/suites/loader.ts';
import { formatIssues } from '../../runtime/validation/index.ts';

const BUNDLED = ['accounting', 'dedupe', 'methods', 'mfa', 'nas-timeouts', 'personalities', 'protocol'];

async function run(name: string, target: TargetSpec): Promise<readonly CaseResult[]> {
  const loaded = loadSuites([name]);
  if (!loaded.ok) throw new Error(`${name} is invalid:\n${formatIssues(loaded.issues)}`);
  const result = await runConformance({ suites: loaded.value, target, seed: 1 });
  return result.suites.flatMap((s) => s.cases);
}

/** Each failing case with every failure, so a red test says what to read. */
function failuresOf(cases: readonly CaseResult[]): string {
  return cases
    .filter((c) => c.status === 'failed')
    .map(
      (c) =>
        `${c.suite}/${c.id} [${c.target}]\n` +
        c.failures.map((f) => `    ${f.expectation}: expected ${f.expected}, got ${f.actual}`).join('\n'),
    )
    .join('\n');
}

describe('the bundled suites', () => {
  it('are the six the issue names', () => {
    expect(bundledSuiteNames()).toEqual(BUNDLED);
  });

  for (const name of BUNDLED) {
    it(`${name}: every case passes on embedded-virtual`, async () => {
      const cases = await run(name, 'embedded-virtual');
      expect(cases.length).toBeGreaterThan(0);
      expect(failuresOf(cases), 'failing cases').toBe('');
      for (const c of cases.filter((c) => c.status === 'skipped')) {
        // Only a case that cannot run in memory may be skipped, and it says so.
        expect(c.reason, c.id).toMatch(/^runs on embedded-udp(, external)? only$/);
      }
      expect(cases.filter((c) => c.status === 'passed').length).toBeGreaterThan(0);
    }, 60_000);
  }

  for (const name of ['protocol', 'accounting']) {
    it(`${name}: every case passes on embedded (UDP first where listed)`, async () => {
      const cases = await run(name, 'embedded');
      expect(failuresOf(cases), 'failing cases').toBe('');
      expect(cases.every((c) => c.status === 'passed')).toBe(true);
      expect(cases.some((c) => c.target === 'embedded-udp')).toBe(true);
    }, 60_000);
  }
});
