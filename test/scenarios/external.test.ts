// What an external target judges, and how differences from the NPS model are named: pure functions
// over a loaded case and a case result, so every rule is checked without a server. The same rules
// against a real FreeRADIUS: test/integration/suites-vs-freeradius.test.ts.
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../scenarios/engine/case.ts';
import { attributesForExternal } from '../../scenarios/engine/credentials.ts';
import { nameDifferences, planExternal, REJECT_DELAY_THRESHOLD_MS } from '../../scenarios/engine/external.ts';
import type { CaseResult, StepResult } from '../../scenarios/result.ts';
import type { LoadedCase } from '../../scenarios/suites/loader.ts';
import { loadYaml } from './support.ts';

const suite = loadYaml(`
suite: external-rules
description: cases as an external server sees them
cases:
  - id: drops
    title: silent, with a drop counter
    why: RFC 3579 3.2
    targets: [external]
    steps:
      - { kind: packet, attributes: [{ name: User-Name, value: u }], expect: { reply: none } }
    expect: { drops: { message-authenticator-invalid: 1 } }
  - id: prompts-only
    title: only MFA prompts to judge
    why: seed
    targets: [external]
    steps: [{ kind: login, user: alice, password: Passw0rd! }]
    expect: { mfaPrompts: 1 }
  - id: retransmit
    title: a copy after the windows
    why: RFC 5080 2.2.2
    targets: [external]
    steps:
      - kind: packet
        id: request
        attributes: [{ name: User-Name, value: u }]
        expect: { reply: Access-Accept, serverReason: accepted }
      - { kind: retransmit, of: request, at: [15s], expect: { behaviour: reprocess, replies: 1 } }
    expect: { mfaPrompts: 2 }
  - id: copy-at-3s
    title: a copy 3 s after the request
    why: RFC 5080 2.2.2
    targets: [external]
    steps:
      - { kind: packet, id: request, attributes: [{ name: User-Name, value: u }] }
      - { kind: retransmit, of: request, at: [3s] }
  - id: copies-both-sides
    title: copies at 3 s and 15 s
    why: RFC 5080 2.2.2
    targets: [external]
    steps:
      - { kind: packet, id: request, attributes: [{ name: User-Name, value: u }] }
      - { kind: retransmit, of: request, at: [3s, 15s] }
  - id: status-copy
    title: a Status-Server sent twice
    why: RFC 5997 3
    targets: [external]
    steps:
      - { kind: packet, id: status, code: Status-Server }
      - { kind: retransmit, of: status, at: [500ms] }
  - id: ma-first
    title: replies carry Message-Authenticator first
    why: Blast-RADIUS guidance
    targets: [external]
    steps:
      - { kind: packet, attributes: [{ name: User-Name, value: u }], expect: { reply: Access-Accept, messageAuthenticatorFirst: true } }
      - { kind: packet, attributes: [{ name: User-Name, value: u }], expect: { reply: Access-Challenge, messageAuthenticatorFirst: true } }
      - { kind: packet, attributes: [{ name: User-Name, value: u }], expect: { reply: Access-Challenge, messageAuthenticatorFirst: true } }
`);

function testCase(id: string): LoadedCase {
  const found = suite.cases.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no case ${id}`);
  return found;
}

function resultOf(id: string, steps: StepResult[], failures: CaseResult['failures'] = []): CaseResult {
  const c = testCase(id);
  const first = failures[0];
  return {
    suite: c.suite,
    id: c.id,
    title: c.title,
    why: c.why,
    target: 'external',
    status: failures.length === 0 ? 'passed' : 'failed',
    ...(first !== undefined
      ? { reason: `${first.expectation}: expected ${first.expected}, got ${first.actual}` }
      : {}),
    failures,
    durationMs: 0,
    steps,
    timeline: [],
  };
}

const accept = (durationMs: number, attributes: StepResult['attributes'] = []): StepResult => ({
  kind: 'packet',
  label: 'Access-Request',
  outcome: 'answered',
  replyCode: 'Access-Accept',
  attributes,
  transmissions: 1,
  durationMs,
});

const copies = (behaviour: 'discard' | 'replay' | 'reprocess'): StepResult => ({
  kind: 'retransmit',
  label: 'copies',
  outcome: behaviour,
  duplicateBehaviour: behaviour,
});

describe('external targets: what is judged', () => {
  it('runs a case whose wire expectations remain, listing the case-level ones as unobserved', () => {
    const plan = planExternal(testCase('drops'));
    expect(plan.judgeable).toBe(true);
    expect(plan.unobserved).toEqual(['expect.drops']);
    expect(plan.judged.expect).toBeUndefined();
    expect(plan.judged.steps[0]).toMatchObject({ expect: { reply: 'none' } });
  });

  it('skips a case that would have nothing left to judge', () => {
    const plan = planExternal(testCase('prompts-only'));
    expect(plan.judgeable).toBe(false);
    expect(plan.unobserved).toEqual(['expect.mfaPrompts']);
  });

  it('drops serverReason (unobserved) and compares a retransmit behaviour instead of judging it; replies stay judged', () => {
    const plan = planExternal(testCase('retransmit'));
    expect(plan.unobserved).toEqual(['expect.mfaPrompts', 'steps[0].expect.serverReason']);
    expect(plan.judged.steps[0]).toMatchObject({ expect: { reply: 'Access-Accept' } });
    expect(plan.judged.steps[0]?.kind === 'packet' && plan.judged.steps[0].expect?.serverReason).toBe(
      undefined,
    );
    expect(plan.judged.steps[1]).toMatchObject({ kind: 'retransmit', expect: { replies: 1 } });
    expect(plan.judged.steps[1]?.kind === 'retransmit' && plan.judged.steps[1].expect?.behaviour).toBe(
      undefined,
    );
  });

  it("puts the target's user in place of ${user} and ${password} (and the demo password), nothing else", () => {
    const credentials = { user: 'vpnuser', password: 'Corr3ct-horse' };
    const sent = attributesForExternal(
      [
        { name: 'User-Name', value: '${user}' },
        { name: 'User-Password', value: '${password}' },
        { name: 'User-Password', value: DEMO_PASSWORD },
        { name: 'User-Name', value: 'uuuu' },
        { name: 'Reply-Message', value: DEMO_PASSWORD },
      ],
      credentials,
      DEMO_PASSWORD,
    );
    expect(sent.map((a) => a.value)).toEqual([
      'vpnuser',
      'Corr3ct-horse',
      'Corr3ct-horse',
      'uuuu',
      DEMO_PASSWORD,
    ]);
  });
});

describe('external targets: differences from the NPS model, by name', () => {
  it('a replay 3 s after the request is an rfc5080 replay where NPS discards', () => {
    const named = nameDifferences(
      testCase('copy-at-3s'),
      resultOf('copy-at-3s', [accept(10, [{ name: 'Class', value: 'x' }]), copies('replay')]),
    );
    expect(named.status).toBe('passed');
    expect(named.differences).toHaveLength(1);
    expect(named.differences?.[0]).toMatchObject({ kind: 'duplicate-replay', at: 'steps[1]' });
    expect(named.differences?.[0]?.seen).toBe(
      'rfc5080 replay: the cached Access-Accept was sent again, byte for byte, to the copy 2990 ms after the answer (RFC 5080 2.2.2)',
    );
    expect(named.differences?.[0]?.expected).toMatch(/^NPS discards an exact copy/);
  });

  it('says when a replay cannot be told from an answer computed again (no Class or State)', () => {
    const named = nameDifferences(
      testCase('copy-at-3s'),
      resultOf('copy-at-3s', [accept(10), copies('replay')]),
    );
    expect(named.differences?.[0]?.seen).toMatch(/carries no Class or State/);
  });

  it('names a reprocess inside the NPS window, and nothing when the server discards as NPS does', () => {
    const reprocess = nameDifferences(
      testCase('copy-at-3s'),
      resultOf('copy-at-3s', [accept(10), copies('reprocess')]),
    );
    expect(reprocess.differences?.map((d) => d.kind)).toEqual(['duplicate-reprocess']);
    const discard = nameDifferences(
      testCase('copy-at-3s'),
      resultOf('copy-at-3s', [accept(10), copies('discard')]),
    );
    expect(discard.differences).toBeUndefined();
  });

  it('after the 10 s window NPS processes again: a reprocess is no difference, a discard or replay is', () => {
    const at15 = (behaviour: 'discard' | 'replay' | 'reprocess'): string[] =>
      (
        nameDifferences(testCase('retransmit'), resultOf('retransmit', [accept(10), copies(behaviour)]))
          .differences ?? []
      ).map((d) => d.kind);
    expect(at15('reprocess')).toEqual([]);
    expect(at15('replay')).toEqual(['duplicate-replay']);
    expect(at15('discard')).toEqual(['duplicate-discard']);
  });

  it('the window edge is measured from the answer, not from the request', () => {
    // Answered after 6 s: a copy at 15 s is 9 s after the answer, still inside NPS's 10 s.
    const named = nameDifferences(
      testCase('retransmit'),
      resultOf('retransmit', [accept(6_000), copies('discard')]),
    );
    expect(named.differences).toBeUndefined();
  });

  it('names nothing for copies on both sides of the window, or for Status-Server', () => {
    expect(
      nameDifferences(
        testCase('copies-both-sides'),
        resultOf('copies-both-sides', [accept(10), copies('replay')]),
      ).differences,
    ).toBeUndefined();
    const status: StepResult = { ...accept(5), label: 'Status-Server' };
    expect(
      nameDifferences(testCase('status-copy'), resultOf('status-copy', [status, copies('replay')]))
        .differences,
    ).toBeUndefined();
  });

  it('a reject held past the threshold is named reject-delayed; a prompt one is not', () => {
    const reject = (durationMs: number): StepResult => ({
      ...accept(durationMs),
      replyCode: 'Access-Reject',
    });
    const late = nameDifferences(
      testCase('drops'),
      resultOf('drops', [reject(REJECT_DELAY_THRESHOLD_MS + 250)]),
    );
    expect(late.differences?.map((d) => d.kind)).toEqual(['reject-delayed']);
    const prompt = nameDifferences(
      testCase('drops'),
      resultOf('drops', [reject(REJECT_DELAY_THRESHOLD_MS - 1)]),
    );
    expect(prompt.differences).toBeUndefined();
  });

  it('Message-Authenticator missing or not first is a difference, but missing beside EAP-Message stays a failure', () => {
    const failure = (index: number): CaseResult['failures'][number] => ({
      expectation: `steps[${index}].expect.messageAuthenticatorFirst`,
      expected: 'true',
      actual: 'false',
    });
    const named = nameDifferences(
      testCase('ma-first'),
      resultOf(
        'ma-first',
        [
          accept(5, [{ name: 'Class', value: 'c' }]),
          {
            ...accept(5, [
              { name: 'EAP-Message', value: '0x01' },
              { name: 'Message-Authenticator', value: '0x00' },
            ]),
            replyCode: 'Access-Challenge',
          },
          { ...accept(5, [{ name: 'EAP-Message', value: '0x01' }]), replyCode: 'Access-Challenge' },
        ],
        [failure(0), failure(1), failure(2)],
      ),
    );
    expect(named.differences?.map((d) => [d.kind, d.at])).toEqual([
      ['reply-without-message-authenticator', 'steps[0]'],
      ['message-authenticator-not-first', 'steps[1]'],
    ]);
    expect(named.status).toBe('failed');
    expect(named.failures).toEqual([failure(2)]);
    expect(named.reason).toBe('steps[2].expect.messageAuthenticatorFirst: expected true, got false');
  });

  it('a case whose only failures were named differences passes', () => {
    const named = nameDifferences(
      testCase('ma-first'),
      resultOf(
        'ma-first',
        [accept(5), accept(5), accept(5)],
        [{ expectation: 'steps[0].expect.messageAuthenticatorFirst', expected: 'true', actual: 'false' }],
      ),
    );
    expect(named.status).toBe('passed');
    expect(named.reason).toBeUndefined();
    expect(named.failures).toEqual([]);
  });
});
