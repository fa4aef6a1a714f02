// Every expectation kind a suite file can state is judged: kinds.yaml holds one case per kind with
// expectations that hold on the embedded default, and each test here breaks one expectation and
// requires the case to fail naming exactly that expectation. A judge that always passed would fail
// every one of these tests (issue 13 item 12).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConformance } from '../../scenarios/engine/index.ts';
import type { CaseResult } from '../../scenarios/result.ts';
import { loadSuiteFile, type LoadedCase, type LoadedSuite } from '../../scenarios/suites/loader.ts';

const KINDS = path.join(import.meta.dirname, 'suites/kinds.yaml');

function kindsSuite(): LoadedSuite {
  const loaded = loadSuiteFile(KINDS);
  if (!loaded.ok) throw new Error(loaded.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return loaded.value;
}

type Patch = Readonly<Record<string, unknown>>;

interface Mismatch {
  readonly caseId: string;
  /** A step index, or 'case' for the case-level expect. */
  readonly at: number | 'case';
  readonly patch: Patch;
  readonly failure: string;
}

const mismatches: readonly Mismatch[] = [
  { caseId: 'login-push', at: 0, patch: { outcome: 'reject' }, failure: 'steps[0].expect.outcome' },
  {
    caseId: 'login-reject',
    at: 0,
    patch: { replyMessage: 'no such text' },
    failure: 'steps[0].expect.replyMessage',
  },
  {
    caseId: 'login-push',
    at: 0,
    patch: { attributes: { present: ['Framed-IP-Address'] } },
    failure: 'steps[0].expect.attributes.present',
  },
  {
    caseId: 'login-push',
    at: 0,
    patch: { attributes: { absent: ['Class'] } },
    failure: 'steps[0].expect.attributes.absent',
  },
  {
    caseId: 'login-push',
    at: 0,
    patch: { attributes: { equals: { Class: 'vpn-users' } } },
    failure: 'steps[0].expect.attributes.equals.Class',
  },
  { caseId: 'login-push', at: 0, patch: { transmissions: 1 }, failure: 'steps[0].expect.transmissions' },
  { caseId: 'login-push', at: 0, patch: { retransmissions: 0 }, failure: 'steps[0].expect.retransmissions' },
  { caseId: 'login-push', at: 0, patch: { challenges: 1 }, failure: 'steps[0].expect.challenges' },
  { caseId: 'login-totp', at: 0, patch: { challenges: 0 }, failure: 'steps[0].expect.challenges' },
  {
    caseId: 'login-push',
    at: 0,
    patch: { latency: { minMs: 2_500 } },
    failure: 'steps[0].expect.latency.minMs',
  },
  {
    caseId: 'login-push',
    at: 0,
    patch: { latency: { maxMs: 1_000 } },
    failure: 'steps[0].expect.latency.maxMs',
  },
  {
    caseId: 'packet-proxy-state',
    at: 0,
    patch: { reply: 'Access-Accept' },
    failure: 'steps[0].expect.reply',
  },
  { caseId: 'packet-dropped', at: 0, patch: { reply: 'Access-Reject' }, failure: 'steps[0].expect.reply' },
  {
    caseId: 'packet-proxy-state',
    at: 0,
    patch: { proxyStateEchoed: false },
    failure: 'steps[0].expect.proxyStateEchoed',
  },
  {
    caseId: 'packet-proxy-state',
    at: 0,
    patch: { messageAuthenticatorFirst: false },
    failure: 'steps[0].expect.messageAuthenticatorFirst',
  },
  {
    caseId: 'packet-proxy-state',
    at: 0,
    patch: { attributes: { absent: ['Proxy-State'] } },
    failure: 'steps[0].expect.attributes.absent',
  },
  { caseId: 'packet-dropped', at: 0, patch: { latency: { maxMs: 100 } }, failure: 'steps[0].expect.latency' },
  {
    caseId: 'retransmit-in-flight',
    at: 1,
    patch: { behaviour: 'replay' },
    failure: 'steps[1].expect.behaviour',
  },
  {
    caseId: 'retransmit-replayed',
    at: 1,
    patch: { behaviour: 'discard' },
    failure: 'steps[1].expect.behaviour',
  },
  {
    caseId: 'retransmit-reprocessed',
    at: 1,
    patch: { behaviour: 'replay' },
    failure: 'steps[1].expect.behaviour',
  },
  { caseId: 'retransmit-in-flight', at: 1, patch: { replies: 1 }, failure: 'steps[1].expect.replies' },
  { caseId: 'accounting', at: 0, patch: { answered: false }, failure: 'steps[0].expect.answered' },
  { caseId: 'accounting', at: 0, patch: { transmissions: 2 }, failure: 'steps[0].expect.transmissions' },
  { caseId: 'status-server', at: 0, patch: { answered: false }, failure: 'steps[0].expect.answered' },
  { caseId: 'status-server', at: 0, patch: { reply: 'Access-Reject' }, failure: 'steps[0].expect.reply' },
  { caseId: 'login-push', at: 'case', patch: { mfaPrompts: 2 }, failure: 'expect.mfaPrompts' },
  { caseId: 'login-reject', at: 'case', patch: { mfaPrompts: 1 }, failure: 'expect.mfaPrompts' },
  {
    caseId: 'login-push',
    at: 'case',
    patch: { discards: { 'in-flight': 0 } },
    failure: 'expect.discards.in-flight',
  },
  {
    caseId: 'packet-dropped',
    at: 'case',
    patch: { drops: { 'message-authenticator-invalid': 0 } },
    failure: 'expect.drops.message-authenticator-invalid',
  },
  { caseId: 'accounting', at: 'case', patch: { accountingRecords: 2 }, failure: 'expect.accountingRecords' },
  { caseId: 'concurrent-logins', at: 'case', patch: { mfaPrompts: 1 }, failure: 'expect.mfaPrompts' },
  {
    caseId: 'login-typing',
    at: 0,
    patch: { latency: { maxMs: 3_000 } },
    failure: 'steps[0].expect.latency.maxMs',
  },
  { caseId: 'login-sms', at: 0, patch: { outcome: 'reject' }, failure: 'steps[0].expect.outcome' },
  {
    caseId: 'login-retransmitted',
    at: 1,
    patch: { behaviour: 'replay' },
    failure: 'steps[1].expect.behaviour',
  },
  { caseId: 'wrong-secret', at: 0, patch: { outcome: 'reject' }, failure: 'steps[0].expect.outcome' },
  {
    caseId: 'network-delay',
    at: 1,
    patch: { latency: { maxMs: 150 } },
    failure: 'steps[1].expect.latency.maxMs',
  },
  { caseId: 'unknown-client', at: 0, patch: { reply: 'Access-Accept' }, failure: 'steps[0].expect.reply' },
  { caseId: 'unknown-client', at: 'case', patch: { drops: { total: 0 } }, failure: 'expect.drops.total' },
  {
    caseId: 'login-reject',
    at: 0,
    patch: { serverReason: 'mfa-denied' },
    failure: 'steps[0].expect.serverReason',
  },
  {
    caseId: 'fail-open-warning',
    at: 0,
    patch: { serverReason: 'fail-open: ServiceUnavailable' },
    failure: 'steps[0].expect.serverReason',
  },
  {
    caseId: 'packet-proxy-state',
    at: 0,
    patch: { serverReason: 'wrong-password-but-longer' },
    failure: 'steps[0].expect.serverReason',
  },
  {
    caseId: 'fail-open-warning',
    at: 'case',
    patch: { warnings: { 'mfa-fail-open': 0 } },
    failure: 'expect.warnings.mfa-fail-open',
  },
  {
    caseId: 'fail-open-warning',
    at: 'case',
    patch: { warnings: { 'fail-open-configured': 0 } },
    failure: 'expect.warnings.fail-open-configured',
  },
  {
    caseId: 'login-reject',
    at: 'case',
    patch: { warnings: { 'mfa-fail-open': 1 } },
    failure: 'expect.warnings.mfa-fail-open',
  },
  {
    caseId: 'challenge-answered-by-packet',
    at: 1,
    patch: { reply: 'Access-Reject' },
    failure: 'steps[1].expect.reply',
  },
  { caseId: 'second-nas', at: 0, patch: { reply: 'none' }, failure: 'steps[0].expect.reply' },
  {
    caseId: 'tenant-prompt-timeout',
    at: 0,
    patch: { latency: { maxMs: 4_000 } },
    failure: 'steps[0].expect.latency.maxMs',
  },
];

function broken(testCase: LoadedCase, mismatch: Mismatch, index: number): LoadedCase {
  const id = `${testCase.id}-broken-${index}`;
  if (mismatch.at === 'case') return { ...testCase, id, expect: { ...testCase.expect, ...mismatch.patch } };
  const steps = testCase.steps.map((step, i) =>
    i === mismatch.at && 'expect' in step
      ? ({ ...step, expect: { ...step.expect, ...mismatch.patch } } as typeof step)
      : step,
  );
  return { ...testCase, id, steps };
}

describe('every expectation kind is judged', () => {
  const suite = kindsSuite();
  const byId = new Map(suite.cases.map((c) => [c.id, c]));

  it('every expectation of kinds.yaml holds on embedded-virtual', async () => {
    const result = await runConformance({ suites: [suite], target: 'embedded-virtual', seed: 1 });
    const failed = result.suites.flatMap((s) => s.cases).filter((c) => c.status !== 'passed');
    expect(failed.map((c) => ({ id: c.id, failures: c.failures }))).toEqual([]);
    expect(result.summary.passed).toBe(suite.cases.length);
    const durations = Object.fromEntries(result.suites[0]?.cases.map((c) => [c.id, c.durationMs]) ?? []);
    // Virtual durations are what the NAS lived through: the second login started 500 ms into the
    // first and took its own 2 s push, so the two ran at once (one after the other would be 4 s).
    expect(durations['concurrent-logins']).toBe(2_500);
    expect(durations.wait).toBe(90_000);
  });

  it('the same seed replays a case exactly, impairments included', async () => {
    const jittery = {
      ...suite,
      cases: suite.cases
        .filter((c) => c.id === 'network-delay')
        .map((c) => ({
          ...c,
          topology: { ...c.topology, network: { delay: 100, jitter: 400, duplicate: 0.5 } },
        })),
    };
    const strip = (r: Awaited<ReturnType<typeof runConformance>>): unknown =>
      r.suites[0]?.cases.map((c) => ({ steps: c.steps, timeline: c.timeline, observed: c.observed }));
    const first = await runConformance({ suites: [jittery], target: 'embedded-virtual', seed: 42 });
    const again = await runConformance({ suites: [jittery], target: 'embedded-virtual', seed: 42 });
    expect(strip(again)).toEqual(strip(first));
    const other = await runConformance({ suites: [jittery], target: 'embedded-virtual', seed: 43 });
    expect(strip(other)).not.toEqual(strip(first));
  });

  it('a broken expectation of each kind fails its case, naming that expectation', async () => {
    const cases = mismatches.map((mismatch, index) => {
      const testCase = byId.get(mismatch.caseId);
      if (testCase === undefined) throw new Error(`kinds.yaml has no case ${mismatch.caseId}`);
      return broken(testCase, mismatch, index);
    });
    const result = await runConformance({
      suites: [{ ...suite, cases }],
      target: 'embedded-virtual',
      seed: 1,
    });
    const results = result.suites[0]?.cases ?? [];
    const verdicts = results.map((r: CaseResult, index) => ({
      id: r.id,
      status: r.status,
      failures: r.failures.map((f) => f.expectation),
      wanted: mismatches[index]?.failure,
    }));
    for (const verdict of verdicts) {
      expect(verdict.status, verdict.id).toBe('failed');
      expect(verdict.failures, verdict.id).toContain(verdict.wanted);
    }
    expect(verdicts).toHaveLength(mismatches.length);
  });

  it('a failure carries what was expected and what was seen', async () => {
    const testCase = byId.get('login-push');
    if (testCase === undefined) throw new Error('no login-push case');
    const cases = [
      broken(testCase, { caseId: 'login-push', at: 0, patch: { outcome: 'reject' }, failure: '' }, 0),
    ];
    const result = await runConformance({
      suites: [{ ...suite, cases }],
      target: 'embedded-virtual',
      seed: 1,
    });
    expect(result.suites[0]?.cases[0]?.failures).toContainEqual({
      expectation: 'steps[0].expect.outcome',
      expected: 'reject',
      actual: 'accept',
    });
  });
});
