// Long fuzz campaigns against the reference server over real UDP on loopback: the datagrams and
// the oracle of test/integration/fuzz-udp.test.ts (scenarios/fuzz/), for as many datagrams as asked.
// Exits 1 when any violation was found; the report keeps up to 20 examples with their batch and index.
//
//   npm run bench:fuzz -- --count 1000000 --seed 12345
import { SystemClock } from '../runtime/clock.ts';
import { runFuzz, type FuzzSummary } from '../scenarios/fuzz/run.ts';
import { violationReasons, type ViolationKind } from '../scenarios/fuzz/oracle.ts';
import { isMainModule, outParam, runAsScript, type BenchDefinition } from './script.ts';

export const fuzzParams = {
  count: {
    type: 'integer',
    default: 1_000_000,
    min: 1,
    max: 1_000_000_000,
    description: 'datagrams to send',
  },
  seed: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 2 ** 31 - 1,
    description: 'fast-check seed; 0: a fresh one (printed and kept in the report for replay)',
  },
  batch: {
    type: 'integer',
    default: 250,
    min: 1,
    max: 4096,
    description:
      'datagrams per batch (a valid login is checked after each; same seed + batch = same datagrams)',
  },
  budget: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 7 * 24 * 3600,
    description: 'stop after this many seconds (0: none)',
  },
  out: outParam,
} as const;

function render(s: FuzzSummary): string {
  const lines = [
    `fuzz: ${s.sent} datagrams in ${s.batches} batches (${s.fromStranger} from an unknown address), seed ${s.seed}, batch ${s.batchSize}`,
    `answered ${s.answered}, lost ${s.lost}, probes accepted ${s.probes.accepted}/${s.probes.sent}, ${s.datagramsPerSecond} datagrams/s`,
    s.violationCount === 0 ? 'violations: none' : `VIOLATIONS: ${s.violationCount}`,
    ...Object.entries(s.violations).map(
      ([kind, n]) => `  ${kind}: ${String(n)} (${violationReasons[kind as ViolationKind]})`,
    ),
    ...s.examples
      .slice(0, 5)
      .map(
        (e) => `  e.g. ${e.kind}: batch ${e.batch} index ${e.index} ${e.label} ${e.datagram.slice(0, 80)}`,
      ),
  ];
  if (s.budgetExhausted) lines.push(`stopped by the time budget after ${s.sent} of ${s.requested}`);
  return lines.join('\n');
}

export const fuzzBench: BenchDefinition<typeof fuzzParams, FuzzSummary> = {
  name: 'fuzz',
  summary:
    'Generated and mutated datagrams against the reference server over UDP; counts violations (wrong password accepted, bad authenticator or stranger answered, stopped answering).',
  params: fuzzParams,
  async run(params, io) {
    const seed = params.seed !== 0 ? params.seed : Date.now() % 2 ** 31;
    io.progress(`fuzz seed ${seed} (replay: --seed ${seed} --batch ${params.batch})`);
    let last = 0;
    return runFuzz({
      count: params.count,
      seed,
      batchSize: params.batch,
      budgetMs: params.budget * 1000,
      clock: new SystemClock(),
      onBatch: ({ sent, violations }) => {
        if (sent - last >= 50_000 || sent === params.count) {
          last = sent;
          io.progress(`  ${sent}/${params.count} sent, ${violations} violations`);
        }
      },
    });
  },
  failed: (s) => s.violationCount > 0 || s.probes.accepted < s.probes.sent,
  render,
};

if (isMainModule(import.meta.url)) runAsScript(fuzzBench);
