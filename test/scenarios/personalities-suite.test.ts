// scenarios/suites/personalities.yaml: it loads (schema, and every case's server settings pass the
// server's own validation with the personality it names), and every case passes against the
// embedded default in virtual time, the one that shows the nps personality's missing policy
// attributes after an OTP challenge and their return with crpUsernameStuffing among them.
import { describe, expect, it } from 'vitest';
import { normaliseServerConfig } from '../../reference/config/server-config.ts';
import { runConformance } from '../../scenarios/engine/index.ts';
import { loadSuites } from '../../scenarios/suites/loader.ts';
import { formatIssues } from '../../runtime/validation/index.ts';

function suite() {
  const loaded = loadSuites(['personalities']);
  if (!loaded.ok) throw new Error(formatIssues(loaded.issues));
  const [personalities] = loaded.value;
  if (personalities === undefined) throw new Error('no suite loaded');
  return personalities;
}

describe('suite personalities', () => {
  it('loads, and each case starts the server with the personality it names', () => {
    const loaded = suite();
    const seen = new Set<string>();
    for (const c of loaded.cases) {
      const result = normaliseServerConfig(c.resolved.serverConfig);
      expect(result.ok ? [] : result.issues, c.id).toEqual([]);
      if (result.ok) {
        expect(c.id.startsWith(result.config.personality), c.id).toBe(true);
        seen.add(result.config.personality);
      }
    }
    expect([...seen].sort()).toEqual(['duo', 'freeradius', 'nps']);
  });

  it('every case passes on the embedded default in virtual time', async () => {
    const result = await runConformance({ suites: [suite()], target: 'embedded-virtual', seed: 1 });
    const outcomes = result.suites.flatMap((s) =>
      s.cases.map((c) => ({ id: c.id, status: c.status, failures: c.failures })),
    );
    expect(outcomes.filter((c) => c.status !== 'passed')).toEqual([]);
    expect(outcomes.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'nps-otp-challenge-drops-policy-attributes',
        'nps-crp-username-stuffing-forwards-policy-attributes',
      ]) as unknown,
    );
  }, 120_000);
});
