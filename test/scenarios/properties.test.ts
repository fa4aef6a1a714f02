// The properties hold on the reference server with their default runs (at least 1,000 logins each,
// counted from the cases that ran), and each one fails when the protection it checks is broken, with
// a seed and path that replay the same counterexample.
import { describe, expect, it } from 'vitest';
import type { EmbeddedStack } from '../../scenarios/embedded/stacks.ts';
import {
  MIN_LOGINS,
  checkPropertyOptions,
  expectedAnswer,
  expectedMethodOutcome,
  properties,
  runProperties,
  type RunPropertiesOptions,
} from '../../scenarios/properties/index.ts';
import type { PropertyResult } from '../../scenarios/result.ts';

const SEED = 20_260_104;
/** Generous: a budget, not an assertion; the machine running CI may be loaded. */
const BUDGET_MS = 120_000;
const SLOW = 180_000;

async function runOne(
  name: string,
  options: Omit<RunPropertiesOptions, 'names'> = {},
): Promise<PropertyResult> {
  const [result] = await runProperties({ names: [name], seed: SEED, budgetMs: BUDGET_MS, ...options });
  if (result === undefined) throw new Error(`no result for ${name}`);
  return result;
}

describe('each property holds with its default runs', () => {
  for (const property of properties) {
    it(
      `${property.name}: passes with at least ${MIN_LOGINS} logins`,
      async () => {
        const result = await runOne(property.name);
        expect(result.reason).toBeUndefined();
        expect(result.status).toBe('passed');
        expect(result.runs).toBe(property.defaultRuns);
        expect(result.logins).toBeGreaterThanOrEqual(MIN_LOGINS);
        expect(result.seed).toBe(SEED);
      },
      SLOW,
    );
  }
});

/** A store that writes every record anew: the packet key and the natural key made unique per call. */
function storeWithoutDeduplication(stack: EmbeddedStack): void {
  const store = stack.accounting;
  const record = store.record.bind(store);
  let calls = 0;
  store.record = (input) => {
    calls++;
    const authenticator = Buffer.alloc(16);
    authenticator.writeUInt32BE(calls);
    return record({ ...input, requestAuthenticator: authenticator, uniqueSessionId: `no-dedupe-${calls}` });
  };
  // The server writes through group commit (recordBatch): the same break, one record at a time.
  store.recordBatch = (inputs) => inputs.map((input) => store.record(input));
}

interface Break {
  readonly name: string;
  readonly how: string;
  readonly options: Omit<RunPropertiesOptions, 'names'>;
  /** Text the reason must contain: the broken promise, as the property words it. */
  readonly reason: RegExp;
}

const breaks: readonly Break[] = [
  {
    name: 'one-prompt-per-login',
    how: 'duplicate detection off (profile none)',
    options: { server: { duplicates: { profile: 'none' } } },
    reason: /MFA prompts for one login/,
  },
  {
    name: 'duplicate-window',
    how: 'a server whose window is not the one the case configures',
    options: { server: { duplicates: { profile: 'nps', windowMs: 1_000 } } },
    reason: /expect/,
  },
  {
    name: 'method-matrix',
    how: 'REQUIRE_USER_MATCH forced FALSE',
    options: { server: { mfa: { REQUIRE_USER_MATCH: false } } },
    reason: /expect\.outcome|mfaPrompts/,
  },
  {
    name: 'nas-give-up',
    how: 'the server gives up on MFA after 4 s',
    options: { server: { mfa: { approvalTimeoutMs: 4_000 } } },
    reason: /expected accept, got reject/,
  },
  {
    name: 'accounting-once',
    how: 'an accounting store that does not deduplicate',
    options: { onStack: storeWithoutDeduplication },
    reason: /stored [2-9] times/,
  },
  {
    name: 'bad-authenticator',
    how: 'clients that do not require Message-Authenticator',
    options: {
      server: {
        clients: [
          {
            name: 'localhost',
            address: '127.0.0.1',
            secret: 'testing123',
            requireMessageAuthenticator: false,
          },
          { name: 'localhost6', address: '::1', secret: 'testing123', requireMessageAuthenticator: false },
        ],
      },
    },
    reason: /expected none, got Access-Reject/,
  },
];

describe('each property fails when its protection is broken, and the seed and path replay it', () => {
  for (const broken of breaks) {
    it(
      `${broken.name}: ${broken.how}`,
      async () => {
        const failed = await runOne(broken.name, broken.options);
        expect(failed.status).toBe('failed');
        expect(failed.reason).toMatch(broken.reason);
        expect(failed.seed).toBe(SEED);
        expect(failed.path).toMatch(/^\d+(:\d+)*$/);
        // The counterexample is the failing case as a suite file, with the broken promises on top.
        expect(failed.counterexample).toContain('suite: counterexample');
        expect(failed.counterexample).toContain(`id: ${broken.name}`);
        expect(failed.logins).toBeGreaterThan(0);

        const replayed = await runOne(broken.name, {
          ...broken.options,
          seed: failed.seed,
          path: failed.path ?? '',
        });
        expect(replayed.status).toBe('failed');
        expect(replayed.runs).toBe(1);
        expect(replayed.path).toBe(failed.path);
        expect(replayed.counterexample).toBe(failed.counterexample);
      },
      SLOW,
    );
  }
});

describe('the time budget', () => {
  it('a property stopped by its budget is failed, with the runs and logins it reached', async () => {
    const [result] = await runProperties({
      names: ['method-matrix'],
      seed: SEED,
      runs: 100_000,
      budgetMs: 300,
    });
    expect(result?.status).toBe('failed');
    expect(result?.reason).toMatch(/time budget of 300 ms ran out after \d+ of 100000 runs \(\d+ logins\)/);
    expect(result?.runs).toBeLessThan(100_000);
    // Logins are counted as the cases ran: a few runs made a few logins, never the 100,000 asked.
    expect(result?.logins).toBeLessThan(100_000 * 6);
    expect(result?.path).toBeUndefined();
  });
});

describe('options', () => {
  it('reports every wrong option at once, with its fix', () => {
    const checked = checkPropertyOptions({
      names: ['no-such', 'method-matrix'],
      runs: 0,
      path: 'x',
      budgetMs: -1,
    });
    expect(checked.ok).toBe(false);
    const paths = checked.ok ? [] : checked.issues.map((i) => i.path);
    expect(paths).toEqual(['names[0]', 'runs', 'budgetMs', 'path', 'seed', 'names']);
    if (!checked.ok) for (const issue of checked.issues) expect(issue.fix).not.toBe('');
  });

  it('runProperties refuses them before running anything', async () => {
    await expect(runProperties({ names: ['one-prompt'] })).rejects.toThrow(
      /no property is called "one-prompt"/,
    );
  });
});

describe('oracles', () => {
  it('the method matrix: code methods only under PAP, REQUIRE_USER_MATCH for users not enrolled', () => {
    const settings = { requireUserMatch: true, otpOverride: true };
    const sms = {
      enrolled: true,
      methods: ['sms'],
      defaultMethod: 'sms',
      promptAnswer: 'approve',
      codeCorrect: true,
    } as const;
    const push = { ...sms, methods: ['push'], defaultMethod: 'push' } as const;
    const notEnrolled = { enrolled: false, methods: [], promptAnswer: 'approve', codeCorrect: true } as const;
    expect(expectedMethodOutcome(sms, 'pap', settings)).toEqual({
      outcome: 'accept',
      challenges: 1,
      prompted: true,
    });
    expect(expectedMethodOutcome(sms, 'mschapv2', settings)).toEqual({
      outcome: 'reject',
      challenges: 0,
      prompted: false,
    });
    expect(expectedMethodOutcome(push, 'eap-mschapv2', settings).outcome).toBe('accept');
    expect(expectedMethodOutcome(notEnrolled, 'pap', settings).outcome).toBe('reject');
    expect(expectedMethodOutcome(notEnrolled, 'pap', { ...settings, requireUserMatch: false }).outcome).toBe(
      'accept',
    );
  });

  it('bad authenticators: only what the secret signs can be judged', () => {
    expect(
      expectedAnswer(
        { code: 'Accounting-Request', messageAuthenticator: 'absent', tamper: 'flip-authenticator' },
        false,
      ),
    ).toBe(false);
    expect(
      expectedAnswer(
        { code: 'Access-Request', messageAuthenticator: 'first', tamper: 'strip-message-authenticator' },
        false,
      ),
    ).toBe(true);
    expect(
      expectedAnswer(
        { code: 'Access-Request', messageAuthenticator: 'first', tamper: 'strip-message-authenticator' },
        true,
      ),
    ).toBe(false);
    expect(
      expectedAnswer({ code: 'Status-Server', messageAuthenticator: 'first', tamper: 'none' }, true),
    ).toBe(true);
  });
});
