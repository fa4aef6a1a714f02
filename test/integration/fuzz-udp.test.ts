// Fuzzing over real UDP: generated and mutated datagrams against a running reference server, on a
// CI time budget. Replay a failure with RADMFA_FUZZ_SEED=<seed printed below>, or at length with
// `npm run bench:fuzz -- --count 1000000 --seed <seed>`.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PacketCode, buildRequest, buildResponse, decodePacket } from '../../protocol/index.ts';
import { SystemClock } from '../../runtime/clock.ts';
import {
  FUZZ_USER,
  datagramOf,
  fuzzCaseArbitrary,
  mutationKinds,
  templateBytes,
  templateKinds,
} from '../../scenarios/fuzz/datagrams.ts';
import { judgeAnswer, type Account } from '../../scenarios/fuzz/oracle.ts';
import { runFuzz } from '../../scenarios/fuzz/run.ts';

/** Seconds the UDP campaign may take in CI; it stops starting batches after that. */
const CI_BUDGET_SECONDS = 20;
const SEED = Number(process.env.RADMFA_FUZZ_SEED ?? Date.now() % 2 ** 31);
const SECRET = 'oracle-secret';
const ACCOUNT: Account = { names: ['alice', 'alice@radmfa.test'], password: FUZZ_USER.password };

function accessRequest(password: string, messageAuthenticator = true): Buffer {
  return buildRequest({
    code: PacketCode.AccessRequest,
    identifier: 7,
    secret: SECRET,
    attributes: [
      { name: 'User-Name', value: 'alice' },
      { name: 'User-Password', value: password },
    ],
    messageAuthenticator,
  }).bytes;
}

function replyTo(request: Buffer, code: number, messageAuthenticator = true): Buffer {
  const decoded = decodePacket(request);
  if (!decoded.ok) throw new Error(decoded.message);
  return buildResponse({ code, request: decoded.value, secret: SECRET, attributes: [], messageAuthenticator })
    .bytes;
}

describe('the fuzz oracle (each rule catches what it names)', () => {
  it('allows a signed Accept for the right password and flags one for a wrong password', () => {
    const right = accessRequest(FUZZ_USER.password);
    expect(judgeAnswer(right, replyTo(right, PacketCode.AccessAccept), SECRET, ACCOUNT)).toEqual([]);
    const wrong = accessRequest('not-it');
    expect(judgeAnswer(wrong, replyTo(wrong, PacketCode.AccessAccept), SECRET, ACCOUNT)).toEqual([
      'accepted-wrong-credentials',
    ]);
    expect(judgeAnswer(wrong, replyTo(wrong, PacketCode.AccessReject), SECRET, ACCOUNT)).toEqual([]);
  });

  it('flags an answer to a bad Message-Authenticator, a forged accounting record, malformed framing, an unsigned reply', () => {
    const signed = accessRequest(FUZZ_USER.password);
    const tampered = accessRequest(FUZZ_USER.password);
    tampered[24] = (tampered[24] ?? 0) ^ 1; // Message-Authenticator is the first attribute
    expect(judgeAnswer(tampered, replyTo(tampered, PacketCode.AccessReject), SECRET, ACCOUNT)).toContain(
      'answered-bad-message-authenticator',
    );
    const accounting = buildRequest({
      code: PacketCode.AccountingRequest,
      identifier: 1,
      secret: SECRET,
      attributes: [{ name: 'Acct-Status-Type', value: 1 }],
    }).bytes;
    expect(
      judgeAnswer(accounting, replyTo(accounting, PacketCode.AccountingResponse, false), SECRET, ACCOUNT),
    ).toEqual([]);
    const forged = Buffer.from(accounting);
    forged[4] = (forged[4] ?? 0) ^ 1;
    expect(
      judgeAnswer(forged, replyTo(forged, PacketCode.AccountingResponse, false), SECRET, ACCOUNT),
    ).toEqual(['answered-forged-accounting']);
    const lying = Buffer.from(signed);
    lying.writeUInt16BE(signed.length + 1, 2);
    expect(judgeAnswer(lying, replyTo(signed, PacketCode.AccessReject), SECRET, ACCOUNT)).toEqual([
      'answered-malformed',
    ]);
    expect(judgeAnswer(signed, replyTo(signed, PacketCode.AccessAccept, false), SECRET, ACCOUNT)).toEqual([
      'reply-message-authenticator-not-first',
    ]);
  });
});

describe('the fuzz generator', () => {
  it('reaches every template and mutation, and the sizes meant: empty, under the header, over 4096 octets', () => {
    const cases = fc.sample(fuzzCaseArbitrary, { seed: SEED, numRuns: 3000 });
    const lengths = cases.map((c) => datagramOf(c, SECRET).length);
    const templates = new Set(cases.flatMap((c) => (c.shape === 'template' ? [c.template.kind] : [])));
    const mutations = new Set(
      cases.flatMap((c) =>
        c.shape !== 'template' ? [] : c.mutations.length === 0 ? ['none'] : c.mutations.map((m) => m.kind),
      ),
    );
    expect([...templates].sort(), `seed ${SEED}`).toEqual([...templateKinds].sort());
    expect([...mutations].sort(), `seed ${SEED}`).toEqual([...mutationKinds].sort());
    expect(new Set(cases.map((c) => c.shape)).size).toBe(3);
    // Without size: 'max' fast-check keeps arrays near 10 elements and these would never be reached.
    expect(lengths.filter((n) => n < 20).length, `seed ${SEED}`).toBeGreaterThan(0);
    expect(lengths.filter((n) => n > 4096).length, `seed ${SEED}`).toBeGreaterThan(0);
    expect(Math.max(...lengths), `seed ${SEED}`).toBeGreaterThan(4500);
  });

  it('builds well-formed templates that the server would take (before mutation)', () => {
    for (const kind of templateKinds) {
      const [sample] = fc.sample(
        fuzzCaseArbitrary.filter((c) => c.shape === 'template' && c.template.kind === kind),
        {
          seed: SEED,
          numRuns: 1,
        },
      );
      if (sample?.shape !== 'template') throw new Error('no template sampled');
      expect(decodePacket(templateBytes(sample.template, SECRET)).ok, kind).toBe(true);
    }
  });
});

describe('fuzzing a running reference server over UDP', () => {
  it(
    `no violation in a ${CI_BUDGET_SECONDS} s campaign: no wrong password accepted, no bad authenticator or stranger answered, still answering`,
    async () => {
      console.log(`fuzz seed ${SEED} (replay: RADMFA_FUZZ_SEED=${SEED})`);
      const summary = await runFuzz({
        count: 200_000,
        seed: SEED,
        batchSize: 250,
        budgetMs: CI_BUDGET_SECONDS * 1000,
        clock: new SystemClock(),
      });
      console.log(
        `fuzz: ${summary.sent} datagrams (${summary.fromStranger} from a stranger), ${summary.answered} answered, ${summary.violationCount} violations, ${summary.datagramsPerSecond}/s, seed ${SEED}`,
      );
      expect(summary.examples, `seed ${SEED}`).toEqual([]);
      expect(summary.violationCount).toBe(0);
      expect(summary.sent).toBeGreaterThanOrEqual(2_000);
      expect(summary.fromStranger).toBeGreaterThan(0);
      expect(summary.answered).toBeGreaterThan(0);
      expect(summary.probes.accepted).toBe(summary.probes.sent);
      expect(summary.lost).toBe(0);
      // The campaign reached the server's deep checks, not only the cheap ones.
      for (const reason of [
        'unknown-client',
        'length-mismatch',
        'message-authenticator-invalid',
        'authenticator-invalid',
      ] as const)
        expect(summary.serverDrops[reason] ?? 0, reason).toBeGreaterThan(0);
    },
    (CI_BUDGET_SECONDS + 60) * 1000,
  );
});
