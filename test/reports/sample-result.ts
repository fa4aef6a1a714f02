// A realistic ConformanceResult for the renderer tests: several suites with passed, failed and skipped
// cases, a nas-timeouts matrix (with a failed and a skipped cell), a failing dedupe case whose timeline
// has retransmissions and a discard, hostile titles (markup, quotes, control characters) and properties.
import {
  countStatuses,
  RESULT_SCHEMA_VERSION,
  type CaseResult,
  type ConformanceResult,
  type PropertyResult,
  type StepResult,
  type SuiteResult,
  type TimelineEvent,
} from '../../scenarios/result.ts';

/** A title written to break careless renderers: markup, an entity, both quotes, a BEL and a NUL. */
export const HOSTILE_TITLE = `Proxy-State <script>alert("x")</script> & 'echo' \u0007bell\u0000`;

const login = (outcome: string, durationMs: number, extra: Partial<StepResult> = {}): StepResult => ({
  kind: 'login',
  label: 'alice pap',
  outcome,
  replyCode: outcome === 'accept' ? 'Access-Accept' : outcome === 'reject' ? 'Access-Reject' : undefined,
  transmissions: 1,
  retransmissions: 0,
  challenges: 0,
  durationMs,
  ...extra,
});

const simpleTimeline = (accept: boolean, mfaAtMs: number): TimelineEvent[] => [
  { atMs: 0, from: 'user', to: 'nas', label: 'connect alice (PAP)' },
  { atMs: 1, from: 'nas', to: 'server', label: 'Access-Request id=3' },
  { atMs: 3, from: 'server', to: 'directory', label: 'bind alice' },
  { atMs: 5, from: 'directory', to: 'server', label: 'bind ok' },
  { atMs: 7, from: 'server', to: 'mfa', label: 'begin push' },
  { atMs: 9, from: 'mfa', to: 'user', label: 'push sent' },
  { atMs: mfaAtMs, from: 'user', to: 'mfa', label: 'approve' },
  accept
    ? { atMs: mfaAtMs + 4, from: 'server', to: 'nas', label: 'Access-Accept id=3' }
    : { atMs: mfaAtMs + 4, from: 'nas', to: 'user', label: 'gave up after 3 tries', tone: 'timeout' },
];

function makeCase(
  suite: string,
  id: string,
  title: string,
  status: CaseResult['status'],
  more: Partial<CaseResult> = {},
): CaseResult {
  const failures = more.failures ?? [];
  return {
    suite,
    id,
    title,
    why: 'RFC 2865 section 3',
    target: 'embedded-virtual',
    status,
    failures,
    durationMs: 12,
    steps: status === 'skipped' ? [] : [login(status === 'passed' ? 'accept' : 'reject', 12)],
    timeline: [],
    ...more,
  };
}

function suite(name: string, description: string, cases: readonly CaseResult[]): SuiteResult {
  return {
    name,
    description,
    file: `scenarios/suites/${name}.yaml`,
    summary: countStatuses(cases.map((c) => c.status)),
    durationMs: cases.reduce((sum, c) => sum + c.durationMs, 0),
    cases,
  };
}

/** The failing dedupe case: a retransmission during the pending push reached the MFA service twice. */
export const FAILING_DEDUPE_CASE: CaseResult = makeCase(
  'dedupe',
  'retransmit-while-pending',
  'A retransmission while MFA is pending sends no second prompt',
  'failed',
  {
    why: 'seed: "duplicate requests received while the MFA call is in flight are discarded"',
    target: 'embedded-udp',
    reason: 'expect.mfaPrompts: expected 1, got 2',
    failures: [
      { expectation: 'expect.mfaPrompts', expected: '1', actual: '2' },
      { expectation: 'expect.discards.in-flight', expected: '2', actual: '1' },
    ],
    durationMs: 12_050,
    steps: [
      login('accept', 12_040, { transmissions: 3, retransmissions: 2 }),
      { kind: 'retransmit', label: 'same id and authenticator at 5 s', outcome: 'silent', durationMs: 2 },
    ],
    observed: { mfaPrompts: 2, discards: { 'in-flight': 1 } },
    timeline: [
      { atMs: 0, from: 'user', to: 'nas', label: 'connect alice (PAP)' },
      { atMs: 1, from: 'nas', to: 'server', label: 'Access-Request id=7' },
      { atMs: 3, from: 'server', to: 'directory', label: 'bind alice' },
      { atMs: 6, from: 'directory', to: 'server', label: 'bind ok' },
      { atMs: 8, from: 'server', to: 'mfa', label: 'begin push' },
      { atMs: 11, from: 'mfa', to: 'user', label: 'push sent' },
      {
        atMs: 5001,
        from: 'nas',
        to: 'server',
        label: 'Access-Request id=7 (retransmission 1)',
        tone: 'retransmit',
      },
      { atMs: 5002, from: 'server', to: 'server', label: 'discard (in-flight)', tone: 'discard' },
      {
        atMs: 10_001,
        from: 'nas',
        to: 'server',
        label: 'Access-Request id=7 (retransmission 2)',
        tone: 'retransmit',
      },
      { atMs: 10_003, from: 'server', to: 'mfa', label: 'begin push (second prompt)', tone: 'error' },
      { atMs: 10_005, from: 'mfa', to: 'user', label: 'push sent again', tone: 'error' },
      { atMs: 12_000, from: 'user', to: 'mfa', label: 'approve' },
      { atMs: 12_030, from: 'mfa', to: 'server', label: 'approved' },
      { atMs: 12_040, from: 'server', to: 'nas', label: 'Access-Accept id=7' },
    ],
  },
);

/** A failing case whose title is hostile, so escaping is checked on the timeline path too. */
export const HOSTILE_CASE: CaseResult = makeCase('protocol', 'proxy-state-echo', HOSTILE_TITLE, 'failed', {
  why: 'RFC 2865 section 5.33 <Proxy-State>',
  reason: 'steps[0].expect.proxyStateEchoed: expected true, got false',
  failures: [
    { expectation: 'steps[0].expect.proxyStateEchoed', expected: 'true', actual: 'false & <missing>' },
  ],
  steps: [
    { kind: 'packet', label: 'Access-Request with two Proxy-State', outcome: 'answered', durationMs: 3 },
  ],
  timeline: [
    { atMs: 0, from: 'nas', to: 'server', label: 'Access-Request <2 x Proxy-State>' },
    { atMs: 3, from: 'server', to: 'nas', label: 'Access-Accept without "Proxy-State"', tone: 'error' },
  ],
});

const NAS_PROFILES = ['cisco-asa', 'fortigate', 'seed-60s'] as const;
const MFA_TIMES = ['2 s', '10 s', '30 s', '60 s', '90 s'] as const;

/** Profile timeouts in ms (total before the NAS gives up) decide which cells accept. */
const GIVE_UP_MS: Readonly<Record<(typeof NAS_PROFILES)[number], number>> = {
  'cisco-asa': 15_000,
  fortigate: 20_000,
  'seed-60s': 60_000,
};

function timeoutCells(): CaseResult[] {
  const cells: CaseResult[] = [];
  // Columns deliberately listed out of numeric order for one profile: the report must still sort them.
  for (const profile of NAS_PROFILES) {
    for (const column of profile === 'fortigate' ? [...MFA_TIMES].reverse() : MFA_TIMES) {
      const mfaMs = Number.parseFloat(column) * 1000;
      const accepts = mfaMs < GIVE_UP_MS[profile];
      const id = `${profile}-${column.replace(' ', '')}`;
      const title = `${profile} with MFA answered after ${column}`;
      const matrix = {
        name: 'nas-timeouts',
        row: profile,
        column,
        axes: { rows: 'NAS profile', columns: 'MFA answers after' },
      };
      if (profile === 'fortigate' && column === '90 s') {
        cells.push(
          makeCase('nas-timeouts', id, title, 'skipped', {
            reason: 'needs target embedded-virtual (90 s of real time); this run used embedded-udp',
            target: 'embedded-udp',
            durationMs: 0,
            matrix,
          }),
        );
        continue;
      }
      const broken = profile === 'seed-60s' && column === '30 s';
      const outcome = broken ? 'timeout' : accepts ? 'accept' : 'timeout';
      cells.push(
        makeCase('nas-timeouts', id, title, broken ? 'failed' : 'passed', {
          why: 'seed: "set the RADIUS timeout on the NAS to 60 seconds"',
          reason: broken ? 'steps[0].expect.outcome: expected accept, got timeout' : undefined,
          failures: broken
            ? [{ expectation: 'steps[0].expect.outcome', expected: 'accept', actual: 'timeout' }]
            : [],
          durationMs: Math.min(mfaMs, GIVE_UP_MS[profile]),
          steps: [login(outcome, Math.min(mfaMs + 4, GIVE_UP_MS[profile]))],
          timeline: broken ? simpleTimeline(false, mfaMs) : [],
          matrix,
        }),
      );
    }
  }
  return cells;
}

const properties: PropertyResult[] = [
  {
    name: 'one-prompt-per-login',
    title: 'One MFA prompt per login for any retransmission schedule',
    why: 'seed: duplicate detection',
    status: 'passed',
    runs: 250,
    logins: 1_250,
    seed: 42,
    durationMs: 3_400,
  },
  {
    name: 'accounting-once',
    title: 'Accounting stored exactly once <whatever> the "loss"',
    why: 'RFC 2866 section 2',
    status: 'failed',
    runs: 17,
    logins: 1_003,
    seed: 1234,
    path: '16:2:0',
    counterexample: '[{"loss":0.5,"duplicates":[3,3]}]',
    reason: 'Interim stored twice',
    durationMs: 900,
  },
];

/** The whole sample run. */
export function sampleResult(): ConformanceResult {
  const suites: SuiteResult[] = [
    suite('protocol', 'Packet-level conformance: authenticators, Message-Authenticator, Proxy-State', [
      makeCase('protocol', 'ma-wrong', 'A wrong Message-Authenticator is silently discarded', 'passed', {
        steps: [
          { kind: 'packet', label: 'flipped Message-Authenticator', outcome: 'silent', durationMs: 1000 },
        ],
      }),
      makeCase('protocol', 'status-server', 'Status-Server is answered', 'passed', {
        steps: [{ kind: 'status-server', label: 'Status-Server', outcome: 'answered', durationMs: 1.5 }],
      }),
      HOSTILE_CASE,
      makeCase('protocol', 'unknown-client', 'A request from an unknown client gets no answer', 'skipped', {
        reason: 'needs a second source address; target 127.0.0.1:1812 <external> cannot provide one',
        target: 'external',
        durationMs: 0,
      }),
    ]),
    suite('dedupe', 'Duplicate detection while MFA is pending and inside the 10 s window', [
      FAILING_DEDUPE_CASE,
      makeCase(
        'dedupe',
        'after-window',
        'A retransmission after the 10 s window is processed again',
        'passed',
        {
          steps: [login('accept', 10_500), login('accept', 35)],
          durationMs: 10_600,
        },
      ),
      makeCase('dedupe', 'new-authenticator', 'A new authenticator is a new login', 'passed'),
      makeCase('dedupe', 'behaviour-named', 'What the server does with an exact retransmission', 'passed', {
        target: 'external',
        steps: [
          login('accept', 40),
          {
            kind: 'retransmit',
            label: 'same id and authenticator',
            outcome: 'answered',
            duplicateBehaviour: 'replay',
          },
        ],
      }),
    ]),
    suite('nas-timeouts', 'Vendor NAS profiles x MFA response times', timeoutCells()),
    suite('accounting', 'Start, Interim and Stop stored once', [
      makeCase('accounting', 'start-once', 'Accounting-Start retransmitted is stored once', 'passed', {
        steps: [
          { kind: 'accounting', label: 'Accounting Start s1', outcome: 'answered', durationMs: 4 },
          { kind: 'accounting', label: 'Accounting Start s1 again', outcome: 'answered', durationMs: 2 },
        ],
        observed: { accountingRecords: 1 },
      }),
    ]),
  ];
  const statuses = suites.flatMap((s) => s.cases.map((c) => c.status));
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
    kind: 'conformance',
    tool: { name: 'radmfa', version: '0.1.0' },
    startedAt: '2026-12-04T06:00:00.000Z',
    durationMs: 95_300,
    target: { kind: 'embedded', description: 'reference server (embedded default)' },
    seed: 42,
    summary: countStatuses(statuses),
    suites,
    properties,
  };
}
