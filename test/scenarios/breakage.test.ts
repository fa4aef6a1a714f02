// Every bundled suite notices when the behaviour it checks is broken (issue 7, "done when"): one case
// per suite runs twice on the embedded default in virtual time, as written and with one reference
// server setting flipped so that the promise no longer holds. The intact copy passes, the broken
// one fails on the expectation that guards the promise, and index.html draws the broken case's
// packet timeline in headless Chromium.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../reports/index.ts';
import { runConformance } from '../../scenarios/engine/index.ts';
import type { CaseResult, ConformanceResult } from '../../scenarios/result.ts';
import { deepMerge, loadSuites, type LoadedCase, type LoadedSuite } from '../../scenarios/suites/loader.ts';
import { requireChromium } from '../reports/chromium.ts';

interface Breakage {
  readonly suite: string;
  readonly caseId: string;
  /** In words, for the test title. */
  readonly how: string;
  /** Merged over the case's topology.server. */
  readonly server: Record<string, unknown>;
  /** The expectation that must catch it (`steps[0].expect.outcome`, `expect.mfaPrompts`). */
  readonly caughtBy: RegExp;
}

const loopbackClients = (extra: Record<string, unknown>): Record<string, unknown>[] => [
  { name: 'localhost', address: '127.0.0.1/8', secret: 'testing123', ...extra },
  { name: 'localhost6', address: '::1', secret: 'testing123', ...extra },
];

const breakages: readonly Breakage[] = [
  {
    suite: 'protocol',
    caseId: 'message-authenticator-absent-pap-accepted',
    how: 'every client required to send Message-Authenticator',
    server: { clients: loopbackClients({ requireMessageAuthenticator: true }) },
    caughtBy: /^steps\[0\]\.expect\.reply$/,
  },
  {
    suite: 'methods',
    caseId: 'pap-phone-call',
    how: 'the second factor switched off',
    server: { mfa: { enabled: false } },
    caughtBy: /mfaPrompts|serverReason/,
  },
  {
    suite: 'dedupe',
    caseId: 'nps-in-flight-one-prompt',
    how: 'duplicate detection off (profile none)',
    server: { duplicates: { profile: 'none' } },
    caughtBy: /mfaPrompts|behaviour|replies/,
  },
  {
    suite: 'mfa',
    caseId: 'not-enrolled-require-user-match-true',
    how: 'REQUIRE_USER_MATCH FALSE',
    server: { mfa: { REQUIRE_USER_MATCH: false } },
    caughtBy: /outcome|serverReason/,
  },
  {
    suite: 'nas-timeouts',
    caseId: 'rfc5080-30s',
    how: 'the server gives up on MFA after 5 s',
    server: { mfa: { approvalTimeoutMs: 5_000 } },
    caughtBy: /outcome|serverReason/,
  },
  {
    suite: 'accounting',
    caseId: 'start-stored-once-despite-retransmissions',
    how: "the client's shared secret changed on the server",
    server: { clients: loopbackClients({ secret: 'another-secret' }) },
    caughtBy: /reply|replies|accountingRecords/,
  },
];

const SEED = 20261204;

function brokenCopy(testCase: LoadedCase, breakage: Breakage): LoadedCase {
  const topology = deepMerge(testCase.topology ?? {}, { server: breakage.server }) as LoadedCase['topology'];
  const serverConfig = deepMerge(testCase.resolved.serverConfig, breakage.server) as Record<string, unknown>;
  return {
    ...testCase,
    resolved: { ...testCase.resolved, serverConfig },
    id: `${testCase.id}-broken`,
    title: `${testCase.title} (broken: ${breakage.how})`,
    targets: ['embedded-virtual'],
    topology,
  };
}

function pick(suites: readonly LoadedSuite[], breakage: Breakage): LoadedCase {
  const found = suites.find((s) => s.name === breakage.suite)?.cases.find((c) => c.id === breakage.caseId);
  if (found === undefined)
    throw new Error(`${breakage.suite}/${breakage.caseId} is not in the bundled suites`);
  return found;
}

describe('each suite fails when the behaviour it checks is broken', () => {
  let result: ConformanceResult;
  const byId = (suite: string, id: string): CaseResult | undefined =>
    result.suites.find((s) => s.name === suite)?.cases.find((c) => c.id === id);

  beforeAll(async () => {
    const loaded = loadSuites([...new Set(breakages.map((b) => b.suite))]);
    if (!loaded.ok) throw new Error(loaded.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
    const suites = loaded.value.map((suite) => {
      const wanted = breakages.filter((b) => b.suite === suite.name);
      const cases = wanted.flatMap((b) => {
        const intact = pick(loaded.value, b);
        return [{ ...intact, targets: ['embedded-virtual' as const] }, brokenCopy(intact, b)];
      });
      return { ...suite, cases };
    });
    result = await runConformance({ suites, target: 'embedded-virtual', seed: SEED });
  }, 120_000);

  for (const breakage of breakages) {
    it(`${breakage.suite}/${breakage.caseId}: passes as written, fails with ${breakage.how}`, () => {
      const intact = byId(breakage.suite, breakage.caseId);
      const broken = byId(breakage.suite, `${breakage.caseId}-broken`);
      expect(intact?.status, JSON.stringify(intact?.failures)).toBe('passed');
      expect(broken?.status).toBe('failed');
      expect(broken?.failures.map((f) => f.expectation)).toContainEqual(
        expect.stringMatching(breakage.caughtBy),
      );
      expect(broken?.timeline.length).toBeGreaterThan(0);
    });
  }

  const browser = requireChromium();
  describe.skipIf(!browser.available)('index.html', () => {
    let dir: string;
    afterAll(async () => {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it("draws each broken case's timeline with its arrows", async () => {
      dir = await mkdtemp(join(tmpdir(), 'radmfa-breakage-'));
      const files = await writeReports(result, dir);
      const chrome = await chromium.launch({ executablePath: browser.path, args: [...browser.args] });
      try {
        const page = await chrome.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        await page.goto(pathToFileURL(files.html).href, { waitUntil: 'load' });
        for (const breakage of breakages) {
          const selector = `#timeline-${breakage.suite}-${breakage.caseId}-broken svg.timeline`;
          const arrows = await page.locator(`${selector} g.event`).count();
          expect(arrows, selector).toBeGreaterThan(0);
          expect(await page.locator(selector).isVisible()).toBe(true);
        }
        expect(errors).toEqual([]);
      } finally {
        await chrome.close();
      }
    });
  });
});
