// Property 5: accounting is stored exactly once, whatever retransmits or duplicates Start,
// Interim-Update and Stop. Each session is a login followed by its accounting: Start and
// Interim-Updates sent by the NAS (its retry policy, same or naive retransmission, over a network
// that loses, delays and duplicates), and a Stop built by hand with exact copies at any time, inside
// or long after any duplicate window. The store is read back: every record the NAS saw acknowledged
// is there once, and no record is there twice.
import fc from 'fast-check';
import { AcctStatusType } from '../../reference/accounting/record.ts';
import { planSchedule } from '../../simulators/nas/index.ts';
import {
  caseSeed,
  networkArbitrary,
  policyArbitrary,
  resolvePolicy,
  worstDelayMs,
  type NetworkDocument,
  type PolicyDocument,
} from './arbitraries.ts';
import {
  DEMO_PASSWORD,
  PROPERTY_USERS,
  caseFailures,
  defineProperty,
  loginsRan,
  missingSteps,
  runGenerated,
  type CaseDocument,
  type PropertyContext,
  type Verdict,
} from './harness.ts';
import type { EmbeddedStack } from '../embedded/stacks.ts';

interface Session {
  readonly approveAfterMs: number;
  readonly interims: number;
  /** Exact copies of the Stop, this long after it was first sent. */
  readonly stopCopiesMs: readonly number[];
}

interface Input {
  readonly seed: number;
  readonly network: NetworkDocument;
  readonly policy: PolicyDocument;
  readonly sessions: readonly Session[];
}

const arbitrary: fc.Arbitrary<Input> = fc.record({
  seed: caseSeed,
  network: networkArbitrary,
  policy: policyArbitrary({ lastSendWithinMs: 30_000, retransmission: fc.constantFrom('same', 'naive') }),
  sessions: fc.array(
    fc.record({
      approveAfterMs: fc.integer({ min: 0, max: 3_000 }),
      interims: fc.integer({ min: 0, max: 2 }),
      stopCopiesMs: fc.array(fc.integer({ min: 0, max: 60_000 }), { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 6, maxLength: PROPERTY_USERS.length },
  ),
});

/** One accounting event the case sends: which record it should leave in the store. */
interface Event {
  readonly step: number;
  readonly sessionId: string;
  readonly statusType: number;
  readonly sessionTimeS?: number;
  readonly label: string;
}

const sessionTime = (interim: number): number => 60 * (interim + 1);

function caseOf(input: Input): { document: CaseDocument; events: Event[] } {
  const tenantUsers: Record<string, unknown> = {};
  const steps: Record<string, unknown>[] = [];
  const events: Event[] = [];
  input.sessions.forEach((session, i) => {
    const user = PROPERTY_USERS[i] ?? '';
    const sessionId = `prop-${i}`;
    tenantUsers[user] = {
      enrolled: true,
      methods: ['push'],
      behaviour: { prompt: { outcome: 'approve', after: session.approveAfterMs } },
    };
    steps.push({ kind: 'login', user, password: DEMO_PASSWORD });
    events.push({
      step: steps.length,
      sessionId,
      statusType: AcctStatusType.Start,
      label: `${sessionId} Start`,
    });
    steps.push({ kind: 'accounting', status: 'Start', user, sessionId });
    for (let k = 0; k < session.interims; k++) {
      const seconds = sessionTime(k);
      events.push({
        step: steps.length,
        sessionId,
        statusType: AcctStatusType.InterimUpdate,
        sessionTimeS: seconds,
        label: `${sessionId} Interim-Update at ${seconds} s`,
      });
      steps.push({
        kind: 'accounting',
        status: 'Interim-Update',
        user,
        sessionId,
        attributes: [{ name: 'Acct-Session-Time', value: seconds }],
      });
    }
    events.push({
      step: steps.length,
      sessionId,
      statusType: AcctStatusType.Stop,
      label: `${sessionId} Stop`,
    });
    steps.push({
      kind: 'packet',
      id: `stop-${i}`,
      code: 'Accounting-Request',
      messageAuthenticator: 'absent',
      attributes: [
        { name: 'Acct-Status-Type', value: 'Stop' },
        { name: 'Acct-Session-Id', value: sessionId },
        { name: 'User-Name', value: user },
        { name: 'Acct-Session-Time', value: sessionTime(session.interims) },
      ],
      waitFor: 2_000,
    });
    steps.push({ kind: 'retransmit', of: `stop-${i}`, at: session.stopCopiesMs });
  });
  const document: CaseDocument = {
    id: 'accounting-once',
    title: 'every accounting record is stored exactly once',
    why: 'RFC 2866 2 and 5.5; RFC 5080 2.2.1',
    topology: { tenantUsers, network: input.network },
    nas: { profile: 'custom', policy: input.policy },
    steps,
  };
  return { document, events };
}

interface StoredRecord {
  readonly sessionId: string;
  readonly statusType: number;
  readonly sessionTimeS?: number;
}

function storedRecords(stack: EmbeddedStack): StoredRecord[] {
  return stack.accounting.list().map((r) => ({
    sessionId: r.sessionId ?? '',
    statusType: r.statusType,
    ...(r.sessionTimeS !== undefined ? { sessionTimeS: r.sessionTimeS } : {}),
  }));
}

async function check(input: Input, context: PropertyContext): Promise<Verdict> {
  const { document, events } = caseOf(input);
  const run = await runGenerated(document, input.seed, context, storedRecords);
  const failures = [...caseFailures(run.result), ...missingSteps(run, document)];
  // Without loss, and with the NAS's first wait longer than the slowest round trip, every request's
  // first answer reaches the NAS: each must be acknowledged (and so stored).
  const policy = resolvePolicy(input.policy);
  const firstWaitMs = Math.min(planSchedule(policy, () => 0)[0] ?? 0, planSchedule(policy, () => 1)[0] ?? 0);
  const lossless = input.network.loss === 0 && firstWaitMs > 2 * worstDelayMs(input.network) + 1;
  if (run.ran.length > 0) {
    for (const event of events) {
      const stored = run.observed.filter(
        (r) =>
          r.sessionId === event.sessionId &&
          r.statusType === event.statusType &&
          (event.statusType !== AcctStatusType.InterimUpdate || r.sessionTimeS === event.sessionTimeS),
      ).length;
      const acknowledged = run.ran[event.step]?.result.outcome === 'answered';
      if (stored > 1 || (acknowledged && stored !== 1) || (lossless && !acknowledged)) {
        failures.push(
          `steps[${event.step}] (${event.label}): stored ${stored} times` +
            (acknowledged ? ', acknowledged to the NAS' : ', never acknowledged'),
        );
      }
    }
  }
  return { logins: loginsRan(run.result), failures, show: run.show };
}

export const accountingOnce = defineProperty<Input>({
  name: 'accounting-once',
  title:
    'accounting Start, Interim-Update and Stop stored exactly once for any retransmission or duplication',
  why:
    'RFC 2866 2 (the client retransmits until it gets an Accounting-Response) and 4.1 (the server responds ' +
    'only once it has recorded the request); RFC 5080 2.2.1 (a retransmission with a new Acct-Delay-Time is ' +
    'a new packet for the same event); RFC 2866 5.5 (Acct-Session-Id ties Start, Interim and Stop together)',
  loginsPerRun: { min: 6, max: PROPERTY_USERS.length },
  arbitrary,
  check,
});
