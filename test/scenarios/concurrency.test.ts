// npm start runs independent cases side by side and the properties in a worker thread (issue 7:
// under 2 minutes on a 2-core machine). What must not change: the result lists every case in suite
// order whatever order they ended in, cases that share a UDP stack still run one after another, and
// the properties give in the worker exactly what they give in process.
import { describe, expect, it } from 'vitest';
import { elapsedLines } from '../../cli/run.ts';
import { lanesOf, placeCase, runConformance, type Slot } from '../../scenarios/engine/index.ts';
import { runJob } from '../../scenarios/job.ts';
import { runProperties } from '../../scenarios/properties/index.ts';
import { runPropertiesInWorker } from '../../scenarios/properties/parallel.ts';
import type { PropertyResult } from '../../scenarios/result.ts';
import { loadYaml } from './support.ts';

// Two topologies on embedded-udp (the default server and one with rfc5080 duplicates), two virtual
// cases, and a case for external only (skipped here).
const SUITE = `
suite: lanes
description: cases in lanes
defaults:
  credentials: { user: alice, password: Passw0rd! }
cases:
  - id: udp-a1
    title: status on the default stack
    why: RFC 5997
    targets: [embedded-udp]
    steps: [{ kind: status-server, expect: { answered: true } }]
  - id: virtual-1
    title: a long wait in virtual time
    why: RFC 5997
    targets: [embedded-virtual]
    steps: [{ kind: wait, for: 90s }, { kind: status-server, expect: { answered: true } }]
  - id: udp-b1
    title: status on the rfc5080 stack
    why: RFC 5997
    targets: [embedded-udp]
    topology: { server: { duplicates: { profile: rfc5080 } } }
    steps: [{ kind: wait, for: 300ms }, { kind: status-server, expect: { answered: true } }]
  - id: udp-a2
    title: wrong password on the default stack
    why: RFC 2865 5.2
    targets: [embedded-udp]
    steps: [{ kind: login, user: '\${user}', password: wrong, expect: { outcome: reject } }]
  - id: external-only
    title: only on a server of yours
    why: RFC 2865 3
    targets: [external]
    steps: [{ kind: status-server }]
  - id: virtual-2
    title: a second virtual case
    why: RFC 5997
    targets: [embedded-virtual]
    steps: [{ kind: status-server, expect: { answered: true } }]
`;

describe('cases side by side', () => {
  it('groups cases into lanes: one per UDP topology, in suite order; one per virtual case', () => {
    const suite = loadYaml(SUITE);
    const slots: Slot[] = suite.cases.map((testCase) => ({
      suite: 0,
      testCase,
      placement: placeCase(testCase, 'embedded'),
    }));
    const lanes = lanesOf(slots).map((lane) => ({
      kind: lane.kind,
      ids: lane.slots.map((i) => slots[i]?.testCase.id),
    }));
    expect(lanes).toEqual([
      { kind: 'embedded-udp', ids: ['udp-a1', 'udp-a2'] },
      { kind: 'embedded-virtual', ids: ['virtual-1'] },
      { kind: 'embedded-udp', ids: ['udp-b1'] },
      { kind: 'embedded-virtual', ids: ['virtual-2'] },
    ]);
  });

  it('lists every case in suite order, whatever order they end in, and the same side by side as one by one', async () => {
    const suite = loadYaml(SUITE);
    const ended: string[] = [];
    const together = await runConformance({
      suites: [suite],
      target: 'embedded',
      seed: 3,
      onCase: (c) => ended.push(c.id),
    });
    const alone = await runConformance({ suites: [suite], target: 'embedded', seed: 3, concurrency: 1 });
    const ids = suite.cases.map((c) => c.id);
    expect(together.suites[0]?.cases.map((c) => c.id)).toEqual(ids);
    expect([...ended].sort()).toEqual([...ids].sort());
    const verdicts = (r: typeof together): string[] =>
      r.suites.flatMap((s) =>
        s.cases.map((c) => `${c.id} ${c.status} ${c.target} ${c.steps.map((s) => s.outcome).join(',')}`),
      );
    expect(verdicts(together)).toEqual(verdicts(alone));
    expect(together.summary).toEqual({ total: 6, passed: 5, failed: 0, skipped: 1 });
    // The suite's time is the span its cases took, at least its longest real-time case.
    expect(together.suites[0]?.durationMs).toBeGreaterThanOrEqual(300);
  });
});

describe('properties in a worker thread', () => {
  const strip = (results: readonly PropertyResult[]): unknown =>
    results.map(({ durationMs: _durationMs, ...rest }) => rest);

  it('give exactly what they give in process: same runs, logins, verdicts, in the same order', async () => {
    const options = { names: ['bad-authenticator', 'method-matrix'], runs: 4, seed: 11 };
    const seen: string[] = [];
    const inWorker = await runPropertiesInWorker(options, (p) => seen.push(p.name), 2);
    const here = await runProperties(options);
    expect(strip(inWorker)).toEqual(strip(here));
    expect(inWorker.map((p) => p.name)).toEqual(['method-matrix', 'bad-authenticator']);
    expect([...seen].sort()).toEqual(['bad-authenticator', 'method-matrix']);
    expect(inWorker.every((p) => p.status === 'passed' && p.runs === 4 && p.logins > 0)).toBe(true);
  }, 120_000);

  it('a job runs them beside the suites and says how long each suite and property took', async () => {
    const result = await runJob({
      suites: [loadYaml(SUITE)],
      target: 'embedded-virtual',
      seed: 5,
      properties: { names: ['bad-authenticator'], runs: 3 },
    });
    expect(result.properties?.map((p) => [p.name, p.status, p.runs])).toEqual([
      ['bad-authenticator', 'passed', 3],
    ]);
    const lines = elapsedLines(result).split('\n');
    expect(lines[0]).toMatch(/^Elapsed/);
    expect(lines[1]).toMatch(/^ {2}lanes +6 cases +\d+\.\d s$/);
    expect(lines[2]).toMatch(/^ {2}properties\/bad-authenticator +\d+ logins +\d+\.\d s$/);
  }, 120_000);
});
