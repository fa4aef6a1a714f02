// What a suite file can put into a case beyond plain values: `fromReply` and `totpOf` attributes,
// `sourceAddress`, `${user}`/`${password}` with defaults.credentials, topology.tenantSettings and
// topology.mfaFaults, and retransmit `waitFor`. Each test runs the input both ways: as written the
// expectation holds, and with the input changed (or absent) the same expectation fails, so an engine
// that ignored the input would fail the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDirectoryFixture, embeddedDefaultConfig } from '../../scenarios/embedded/defaults.ts';
import { startUdpStack, type EmbeddedStack } from '../../scenarios/embedded/stacks.ts';
import { AttributeInputError, resolveAttribute } from '../../scenarios/engine/attributes.ts';
import { runConformance, type TargetSpec } from '../../scenarios/engine/index.ts';
import { judgeStep } from '../../scenarios/engine/judge.ts';
import type { CaseResult } from '../../scenarios/result.ts';
import { loadSuiteDocument } from '../../scenarios/suites/loader.ts';
import type { Step } from '../../scenarios/suites/schema.ts';
import { formatIssues } from '../../runtime/validation/index.ts';
import { parse as parseYaml } from 'yaml';
import { loadYaml } from './support.ts';

async function run(yaml: string, target: TargetSpec = 'embedded-virtual'): Promise<Map<string, CaseResult>> {
  const result = await runConformance({ suites: [loadYaml(yaml)], target, seed: 1 });
  return new Map(result.suites.flatMap((s) => s.cases).map((c) => [c.id, c]));
}

function outcome(results: Map<string, CaseResult>, id: string): { status: string; failures: string[] } {
  const c = results.get(id);
  if (c === undefined) throw new Error(`no case ${id}`);
  return { status: c.status, failures: c.failures.map((f) => `${f.expectation}: ${f.actual}`) };
}

function loaderIssues(yaml: string): string {
  const loaded = loadSuiteDocument(parseYaml(yaml), '/tmp/inline.yaml', 'inline.yaml');
  return loaded.ok ? '' : formatIssues(loaded.issues);
}

const BOB_SECRET = 'JBSWY3DPEHPK3PXP';
const OTHER_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('fromReply and totpOf', () => {
  const answer = (id: string, state: string, secret: string): string => `
  - id: ${id}
    title: bob's challenge answered by a packet
    why: RFC 2865 4.4
    steps:
      - { kind: login, id: challenge, user: bob, password: Passw0rd!, code: { kind: none } }
      - kind: packet
        attributes:
          - { name: User-Name, value: bob }
          - { name: User-Password, totpOf: ${secret} }
          - ${state}
        expect: { reply: Access-Accept, serverReason: mfa-code-accepted }`;

  it("answers an Access-Challenge with the State of the step's reply and the TOTP of now", async () => {
    const results = await run(`
suite: inputs
description: fromReply and totpOf
cases:${answer('right', '{ name: State, fromReply: challenge }', BOB_SECRET)}
${answer('wrong-secret', '{ name: State, fromReply: challenge }', OTHER_SECRET)}
${answer('forged-state', '{ name: State, value: forged-state-0001 }', BOB_SECRET)}
  - id: no-state-in-reply
    title: fromReply names a step whose reply carried no State
    why: harness
    steps:
      - kind: packet
        id: rejected
        attributes: [{ name: User-Name, value: bob }, { name: User-Password, value: wrong }]
      - kind: packet
        attributes: [{ name: User-Name, value: bob }, { name: State, fromReply: rejected }]
`);
    expect(outcome(results, 'right')).toEqual({ status: 'passed', failures: [] });
    expect(outcome(results, 'wrong-secret')).toEqual({
      status: 'failed',
      failures: ['steps[1].expect.reply: Access-Reject', 'steps[1].expect.serverReason: "OathCodeIncorrect"'],
    });
    expect(outcome(results, 'forged-state').failures).toEqual([
      'steps[1].expect.reply: Access-Reject',
      'steps[1].expect.serverReason: "unknown-or-expired-state"',
    ]);
    const missing = outcome(results, 'no-state-in-reply');
    expect(missing.status).toBe('failed');
    expect(missing.failures.join('\n')).toContain('fromReply "rejected": its last reply carried no State');
  });

  it('computes totpOf on the clock of the case, at the time the datagram leaves', () => {
    const context = (now: number) => ({ credentials: undefined, now: () => now, replyOf: () => undefined });
    const at = (ms: number): unknown =>
      resolveAttribute({ name: 'User-Password', totpOf: BOB_SECRET }, context(ms)).value;
    // RFC 6238 steps of 30 s: the same code within a step, another one in the next.
    expect(at(1_000)).toBe(at(29_000));
    expect(at(31_000)).not.toBe(at(29_000));
    expect(at(59_000)).toMatch(/^\d{6}$/);
  });

  it('reads 0x as octets only for octets attributes, and substitutes credentials', () => {
    const context = {
      credentials: { user: 'alice', password: 'Passw0rd!' },
      now: () => 0,
      replyOf: () => undefined,
    };
    expect(resolveAttribute({ name: 'EAP-Message', value: '0x0201' }, context).value).toEqual(
      Buffer.from([2, 1]),
    );
    expect(resolveAttribute({ name: 'Reply-Message', value: '0x0201' }, context).value).toBe('0x0201');
    expect(resolveAttribute({ name: 'User-Name', value: 'u=${user}' }, context).value).toBe('u=alice');
    expect(() =>
      resolveAttribute({ name: 'User-Name', value: '${user}' }, { ...context, credentials: undefined }),
    ).toThrow(AttributeInputError);
  });
});

describe('sourceAddress', () => {
  it('sends from the address given: known there it is answered, unknown it is dropped', async () => {
    const packet = `
      - kind: packet
        sourceAddress: 127.0.0.3
        attributes: [{ name: User-Name, value: alice }, { name: User-Password, value: wrong }]
        expect: { reply: Access-Reject }`;
    const results = await run(`
suite: source
description: sourceAddress
cases:
  - id: known
    title: a second NAS with its own entry
    why: RFC 2865 3
    topology:
      server:
        clients:
          - { name: localhost, address: 127.0.0.1, secret: testing123 }
          - { name: second-nas, address: 127.0.0.3, secret: testing123 }
    steps:${packet}
    expect: { drops: { unknown-client: 0 } }
  - id: unknown
    title: the same packet from an address without an entry
    why: RFC 2865 3
    steps:${packet}
    expect: { drops: { unknown-client: 0 } }
`);
    expect(outcome(results, 'known')).toEqual({ status: 'passed', failures: [] });
    expect(outcome(results, 'unknown').failures).toEqual([
      'steps[0].expect.reply: none',
      'expect.drops.unknown-client: 1',
    ]);
  });
});

describe('credentials', () => {
  const suite = (credentials: string): string => `
suite: creds
description: credentials
defaults:
  credentials: ${credentials}
cases:
  - id: pap
    title: the suite's user logs in
    why: RFC 2865 5.2
    topology: { server: { mfa: { enabled: false } } }
    steps:
      - kind: packet
        attributes: [{ name: User-Name, value: '\${user}' }, { name: User-Password, value: '\${password}' }]
        expect: { reply: Access-Accept }
      - { kind: login, user: '\${user}', password: '\${password}', expect: { outcome: accept } }
`;

  it('${user} and ${password} are the suite credentials; wrong ones fail the same case', async () => {
    const right = await run(suite('{ user: alice, password: Passw0rd! }'));
    expect(outcome(right, 'pap')).toEqual({ status: 'passed', failures: [] });
    const wrong = await run(suite('{ user: alice, password: not-hers }'));
    expect(outcome(wrong, 'pap').failures).toEqual([
      'steps[0].expect.reply: Access-Reject',
      'steps[1].expect.outcome: reject',
    ]);
  });

  it('the loader refuses ${user} in a suite without defaults.credentials, naming the place', () => {
    const issues = loaderIssues(`
suite: creds
description: no credentials
cases:
  - id: c
    title: t
    why: w
    steps:
      - { kind: login, user: '\${user}', password: x }
      - kind: packet
        attributes: [{ name: User-Password, value: '\${password}' }]
`);
    expect(issues).toContain('cases[0].steps[0].user');
    expect(issues).toContain('cases[0].steps[1].attributes[0].value');
    expect(issues).toContain('defaults.credentials');
    // On external targets only, --user and --password supply them.
    expect(
      loaderIssues(`
suite: creds
description: external only
cases:
  - { id: c, title: t, why: w, targets: [external], steps: [{ kind: login, user: '\${user}', password: x }] }
`),
    ).toBe('');
  });

  it('the loader refuses fromReply in NAS attributes, which no reply precedes', () => {
    const issues = loaderIssues(`
suite: nas
description: fromReply too early
cases:
  - id: c
    title: t
    why: w
    nas: { attributes: [{ name: State, fromReply: s }] }
    steps: [{ kind: wait, for: 1s }]
`);
    expect(issues).toContain('cases[0].nas.attributes[0].fromReply');
  });

  describe('on an external target', () => {
    let stack: EmbeddedStack;
    beforeAll(async () => {
      stack = await startUdpStack({
        serverConfig: { ...embeddedDefaultConfig(), mfa: { enabled: false } },
        directoryFixture: demoDirectoryFixture,
      });
    });
    afterAll(() => stack.close());

    it("the target's --user/--password replace the suite credentials", async () => {
      const yaml = suite('{ user: nobody, password: nothing }').replace(
        'why: RFC 2865 5.2',
        'why: RFC 2865 5.2\n    targets: [external]\n    needs: [pap-user]',
      );
      const target = {
        host: stack.auth.address,
        port: stack.auth.port,
        acctPort: stack.acct.port,
        secret: 'testing123',
      };
      const withUser = await run(yaml, { ...target, user: 'alice', password: 'Passw0rd!' });
      expect(outcome(withUser, 'pap')).toEqual({ status: 'passed', failures: [] });
      const wrongUser = await run(yaml, { ...target, user: 'alice', password: 'not-hers' });
      expect(outcome(wrongUser, 'pap').status).toBe('failed');
    }, 20_000);
  });
});

describe('tenantSettings', () => {
  it("merges over the demo tenant's settings: frank's push ends at 5 s instead of 60 s", async () => {
    const frank = (id: string, topology: string): string => `
  - id: ${id}
    title: frank never answers
    why: tenant promptTimeout
    ${topology}
    steps:
      - kind: login
        user: frank
        password: Passw0rd!
        expect: { outcome: reject, serverReason: mfa-timeout, latency: { maxMs: 6s } }`;
    const results = await run(`
suite: tenant
description: tenantSettings
cases:${frank('short', 'topology: { tenantSettings: { promptTimeout: 5s } }')}
${frank('demo', 'topology: {}')}
`);
    expect(outcome(results, 'short')).toEqual({ status: 'passed', failures: [] });
    expect(outcome(results, 'demo').failures).toEqual(['steps[0].expect.latency.maxMs: 60000 ms']);
  });

  it('the loader checks them with the tenant rules, naming topology.tenantSettings', () => {
    const issues = loaderIssues(`
suite: tenant
description: bad settings
cases:
  - id: c
    title: t
    why: w
    topology: { tenantSettings: { promptTimeout: soon, colour: blue } }
    steps: [{ kind: wait, for: 1s }]
`);
    expect(issues).toContain('cases[0].topology.tenantSettings.promptTimeout');
    expect(issues).toContain('cases[0].topology.tenantSettings.colour');
  });
});

describe('mfaFaults', () => {
  const alice = (id: string, topology: string): string => `
  - id: ${id}
    title: alice while the service fails
    why: fail-closed
    targets: [embedded-virtual, embedded-udp]
    ${topology}
    steps:
      - kind: login
        user: alice
        password: Passw0rd!
        expect: { outcome: reject, serverReason: 'mfa-unavailable: ServiceUnavailable' }
    expect: { mfaPrompts: 0 }`;

  it('injects the faults from the start of the case; without them the same case fails', async () => {
    const results = await run(`
suite: faults
description: mfaFaults
cases:${alice('failing', 'topology: { mfaFaults: { serverError: { status: 503 } } }')}
${alice('healthy', 'topology: {}')}
`);
    expect(outcome(results, 'failing')).toEqual({ status: 'passed', failures: [] });
    expect(outcome(results, 'healthy').failures).toEqual([
      'steps[0].expect.outcome: accept',
      'steps[0].expect.serverReason: "mfa-approved"',
      'expect.mfaPrompts: 1',
    ]);
  });

  it('over UDP the unreachable fault closes the mock, and the next case on that stack finds it open', async () => {
    const results = await run(
      `
suite: faults
description: mfaFaults over HTTP
cases:
  - id: unreachable
    title: nothing listens
    why: fail-closed
    targets: [embedded-udp]
    topology: { mfaFaults: { unreachable: {} } }
    steps:
      - { kind: login, user: alice, password: Passw0rd!, expect: { outcome: reject, serverReason: 'mfa-unavailable: HTTP_CONNECT_ERROR' } }
  - id: after
    title: the same stack afterwards
    why: harness
    targets: [embedded-udp]
    steps:
      - { kind: login, user: dave, password: Passw0rd!, expect: { outcome: reject, serverReason: UserNotEnrolled } }
`,
      'embedded-udp',
    );
    expect(outcome(results, 'unreachable')).toEqual({ status: 'passed', failures: [] });
    expect(outcome(results, 'after')).toEqual({ status: 'passed', failures: [] });
  }, 20_000);

  it('the loader checks them as PUT /_admin/faults does', () => {
    const issues = loaderIssues(`
suite: faults
description: bad faults
cases:
  - id: c
    title: t
    why: w
    topology: { mfaFaults: { serverError: { status: 200 }, flood: {} } }
    steps: [{ kind: wait, for: 1s }]
`);
    expect(issues).toContain('cases[0].topology.mfaFaults.serverError.status');
    expect(issues).toContain('cases[0].topology.mfaFaults');
    expect(issues).toContain('flood');
  });
});

describe('warnings', () => {
  it("counts the server's start-up warnings for every case on its stack, and the case's own", async () => {
    const dave = (id: string): string => `
  - id: ${id}
    title: dave (not enrolled) on a fail-open server whose MFA service answers
    why: fail-open covers failures, not answers
    targets: [embedded-udp]
    topology: { server: { mfa: { failMode: fail-open } } }
    steps:
      - { kind: login, user: dave, password: Passw0rd!, expect: { outcome: reject, serverReason: UserNotEnrolled } }
    expect: { warnings: { fail-open-configured: 1, mfa-fail-open: 0, require-user-match-false: 0 } }`;
    const results = await run(
      `
suite: warnings
description: warnings
cases:${dave('first')}
${dave('second-on-the-same-stack')}
  - id: fail-open-used
    title: the service fails, alice let in
    why: fail-open
    targets: [embedded-udp]
    topology: { server: { mfa: { failMode: fail-open } }, mfaFaults: { serverError: {} } }
    steps:
      - { kind: login, user: alice, password: Passw0rd!, expect: { outcome: accept } }
    expect: { warnings: { fail-open-configured: 1, mfa-fail-open: 0 } }
`,
      'embedded-udp',
    );
    expect(outcome(results, 'first')).toEqual({ status: 'passed', failures: [] });
    expect(outcome(results, 'second-on-the-same-stack')).toEqual({ status: 'passed', failures: [] });
    expect(outcome(results, 'fail-open-used').failures).toEqual(['expect.warnings.mfa-fail-open: 1']);
  }, 20_000);
});

describe('retransmit waitFor', () => {
  it('bounds how long replies to the copies are collected', async () => {
    const copy = (id: string, waitFor: string): string => `
  - id: ${id}
    title: a copy 3 s in, reprocessed (profile none), its answer 2 s later
    why: RFC 5080 2.2.2
    topology: { server: { duplicates: { profile: none } } }
    steps:
      - kind: packet
        id: first
        waitFor: 5s
        attributes: [{ name: User-Name, value: alice }, { name: User-Password, value: Passw0rd! }]
        expect: { reply: Access-Accept }
      - { kind: retransmit, of: first, at: [3s], waitFor: ${waitFor}, expect: { replies: 1 } }`;
    const results = await run(`
suite: listen
description: waitFor
cases:${copy('long-enough', '3s')}
${copy('too-short', '500ms')}
`);
    expect(outcome(results, 'long-enough')).toEqual({ status: 'passed', failures: [] });
    expect(outcome(results, 'too-short').failures).toEqual(['steps[1].expect.replies: 0']);
  });
});

describe('retransmit behaviour on an embedded target', () => {
  it("is the server's own account: a reprocessed reject is a reprocess though its bytes match", async () => {
    const copy = (id: string, profile: string): string => `
  - id: ${id}
    title: an exact copy of a rejected request 2 s later (profile ${profile})
    why: RFC 5080 2.2.2
    topology: { server: { duplicates: { profile: ${profile} } } }
    steps:
      - kind: packet
        id: first
        attributes: [{ name: User-Name, value: alice }, { name: User-Password, value: nope }]
        expect: { reply: Access-Reject }
      - { kind: retransmit, of: first, at: [2s], expect: { behaviour: reprocess, replies: 1 } }`;
    const results = await run(`
suite: behaviour
description: replay or reprocess
cases:${copy('processed-again', 'none')}
${copy('replayed', 'rfc5080')}
${copy('discarded', 'nps')}
`);
    expect(outcome(results, 'processed-again')).toEqual({ status: 'passed', failures: [] });
    expect(outcome(results, 'replayed').failures).toEqual(['steps[1].expect.behaviour: replay']);
    expect(outcome(results, 'discarded').failures).toEqual([
      'steps[1].expect.behaviour: discard',
      'steps[1].expect.replies: 0',
    ]);
  });
});

describe('judging what the server said', () => {
  const packetStep = (serverReason: string): Step => ({
    kind: 'packet',
    code: 'Access-Request',
    attributes: [],
    messageAuthenticator: 'first',
    mutations: [],
    fromUnknownClient: false,
    waitFor: 2_000,
    expect: { reply: 'Access-Accept', serverReason },
  });
  const seen = {
    kind: 'packet' as const,
    sentAt: 0,
    label: 'Access-Request',
    replyCode: 'Access-Accept',
    replyVerified: true,
    attributes: [],
    serverObserved: true,
    server: { reason: 'mfa-unavailable: ServiceUnavailable', detail: 'HTTP 503' },
  };

  it('serverReason matches reason and MFA code by prefix, never the free-text detail', () => {
    expect(judgeStep(packetStep('mfa-unavailable'), 0, seen)).toEqual([]);
    expect(judgeStep(packetStep('mfa-unavailable: ServiceUnavailable'), 0, seen)).toEqual([]);
    expect(judgeStep(packetStep('mfa-unavailable: ServiceUnavailable: HTTP'), 0, seen)).toHaveLength(1);
    expect(judgeStep(packetStep('mfa-unavailable: HTTP_CONNECT_ERROR'), 0, seen)).toEqual([
      {
        expectation: 'steps[0].expect.serverReason',
        expected: 'starts with "mfa-unavailable: HTTP_CONNECT_ERROR"',
        actual: '"mfa-unavailable: ServiceUnavailable" (HTTP 503)',
      },
    ]);
  });

  it('serverReason is not judged where the server cannot be seen (external targets)', () => {
    expect(judgeStep(packetStep('anything'), 0, { ...seen, serverObserved: false })).toEqual([]);
  });

  it('a reply whose authenticator does not verify is not the reply expected', () => {
    expect(judgeStep(packetStep('mfa'), 0, { ...seen, replyVerified: false })).toEqual([
      {
        expectation: 'steps[0].expect.reply',
        expected: 'Access-Accept',
        actual: 'Access-Accept that does not verify with the secret',
      },
    ]);
  });
});
