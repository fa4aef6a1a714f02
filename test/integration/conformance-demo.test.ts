// What `npm start` runs: the embedded default (reference server + LDAP stub + MFA mock) and the
// demo conformance suite over real UDP. If this fails, `npm start` reports failures too.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runStart } from '../../cli/start.ts';
import type { SuiteResult } from '../../scenarios/types.ts';

describe('radmfa start (npm start)', () => {
  const out = mkdtempSync(join(tmpdir(), 'radmfa-start-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it(
    'passes every case of the demo suite and writes versioned JSON and Markdown',
    { timeout: 90_000 },
    async () => {
      const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      let code: number;
      try {
        code = await runStart(['--out', out]);
      } finally {
        stdout.mockRestore();
        stderr.mockRestore();
      }
      const result = JSON.parse(readFileSync(join(out, 'conformance.json'), 'utf8')) as SuiteResult;
      const failures = result.cases.filter((c) => !c.passed).map((c) => `${c.id}: ${c.failures.join('; ')}`);
      expect(failures).toEqual([]);
      expect(code).toBe(0);
      expect(result.schemaVersion).toBe(1);
      expect(result.summary.total).toBeGreaterThanOrEqual(15);
      const byId = new Map(result.cases.map((c) => [c.id, c]));
      // The seed's story: a 5 s NAS retransmits 3 times while judy's phone rings once.
      expect(byId.get('slow-approval-short-nas')?.actual).toMatchObject({
        outcome: 'timeout',
        transmissions: 4,
        mfaPrompts: 1,
      });
      expect(readFileSync(join(out, 'conformance.md'), 'utf8')).toMatch(/passed, 0 failed/);
    },
  );
});
