// The service driven directly (no HTTP): method resolution, the rarer documented errors, OATH
// hardware tokens, replay of random decisions, runtime behaviour changes, reset.

import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../runtime/clock.ts';
import { totp } from '../../../protocol/auth/otp.ts';
import { MfaService, maskPhone } from '../../../simulators/mfa/service.ts';
import { parseTenantYaml, tenantOrThrow, type TenantDefinition } from '../../../simulators/mfa/tenant.ts';
import { behaviours } from '../../../simulators/users/behaviour.ts';
import type { MfaResult } from '../../../simulators/mfa/errors.ts';
import { START_MS } from './support/harness.ts';

const TENANT = `
tenant:
  id: t-1
  name: test tenant
  domains: [example.test, corp.example.test]
  certificates: [{ file: test/fixtures/certificates/test-client.pem }]
settings: { seed: 7, promptTimeout: 30s }
users:
  - upn: multi@example.test
    methods: [push, app_code, sms]
    defaultMethod: push
    phone: '+44 20 7946 0000'
    totp: { secret: GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ, algorithm: SHA256, digits: 8, period: 60 }
    behaviour: { prompt: { outcome: approve, after: 1s } }
  - upn: nodefault@example.test
    methods: [push, phone_call]
    phone: '+15550100001'
  - upn: badphone@example.test
    methods: [sms]
    phone: '12345'
  - upn: token@corp.example.test
    methods: [oath_token]
    oathToken: { serial: HW-0001, secret: JBSWY3DPEHPK3PXP, digits: 6, period: 30 }
  - upn: coin@example.test
    methods: [push]
    behaviour:
      prompt:
        outcome: { approve: 1, deny: 1, report_fraud: 1, ignore: 1 }
        after: { uniform: { min: 1s, max: 20s } }
`;

function tenant(text = TENANT): TenantDefinition {
  return tenantOrThrow(parseTenantYaml(text));
}

function service(text?: string, seed?: number): { clock: VirtualClock; svc: MfaService } {
  const clock = new VirtualClock(START_MS);
  return {
    clock,
    svc: new MfaService({ tenant: tenant(text), clock, ...(seed === undefined ? {} : { seed }) }),
  };
}

function value<T>(result: MfaResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.detail ?? ''}`);
  return result.value;
}

function code(result: MfaResult<unknown>): string {
  if (result.ok) throw new Error('expected a failure');
  return result.code;
}

describe('method resolution', () => {
  it('uses the default method, or the app code with preferAppCode when one is registered', () => {
    const { svc } = service();
    expect(value(svc.begin({ user: 'multi@example.test' })).method).toBe('push');
    expect(value(svc.begin({ user: 'multi@example.test', preferAppCode: true }))).toMatchObject({
      method: 'app_code',
      codeLength: 8,
    });
    // No TOTP registered: the user keeps seeing Approve/Deny.
    expect(value(svc.begin({ user: 'token@corp.example.test', preferAppCode: true })).method).toBe(
      'oath_token',
    );
  });

  it('falls back from preferAppCode when RADIUS cannot carry a code (MS-CHAPv2, EAP)', () => {
    const { svc } = service();
    const begun = value(
      svc.begin({
        user: 'multi@example.test',
        preferAppCode: true,
        acceptableMethods: ['push', 'phone_call'],
      }),
    );
    expect(begun.method).toBe('push');
  });

  it('honours an explicit method, and refuses one the user has not registered', () => {
    const { svc } = service();
    expect(value(svc.begin({ user: 'multi@example.test', method: 'sms' })).next).toBe('sms_sent');
    expect(code(svc.begin({ user: 'multi@example.test', method: 'phone_call' }))).toBe(
      'AuthenticationMethodNotConfigured',
    );
  });

  it('answers NoDefaultAuthenticationMethodIsConfigured when several methods and no default', () => {
    const { svc } = service();
    expect(code(svc.begin({ user: 'nodefault@example.test' }))).toBe(
      'NoDefaultAuthenticationMethodIsConfigured',
    );
    expect(value(svc.begin({ user: 'nodefault@example.test', method: 'phone_call' })).next).toBe(
      'call_placed',
    );
  });

  it('answers InvalidFormat for a phone number that is not E.164', () => {
    const { svc } = service();
    expect(code(svc.begin({ user: 'badphone@example.test' }))).toBe('InvalidFormat');
    expect(svc.outbox.list()).toEqual([]);
  });

  it('answers TenantIsBlocked for every user of a blocked tenant', () => {
    const { svc } = service(TENANT.replace('name: test tenant', 'name: test tenant\n  blocked: true'));
    expect(code(svc.begin({ user: 'multi@example.test' }))).toBe('TenantIsBlocked');
  });
});

describe('codes', () => {
  it('verifies SHA-256, 8-digit, 60-second app codes', () => {
    const { clock, svc } = service();
    const begun = value(svc.begin({ user: 'multi@example.test', method: 'app_code' }));
    const secret = Buffer.from('12345678901234567890');
    const expected = totp(secret, clock.now(), { algorithm: 'SHA256', digits: 8, stepSeconds: 60 });
    expect(svc.currentOtp('multi@example.test')).toBe(expected);
    expect(value(svc.submitCode(begun.sessionId, { code: expected })).verdict).toBe('accepted');
  });

  it('verifies OATH hardware token codes with OathCodeIncorrect for wrong ones', () => {
    const { svc } = service();
    const begun = value(svc.begin({ user: 'token@corp.example.test' }));
    expect(begun.next).toBe('enter_token_code');
    expect(value(svc.submitCode(begun.sessionId, { code: '12345' }))).toMatchObject({
      verdict: 'wrong_code',
      resultCode: 'OathCodeIncorrect',
    });
    const right = svc.currentOtp('token@corp.example.test', 'oath_token');
    expect(value(svc.submitCode(begun.sessionId, { code: right })).verdict).toBe('accepted');
    expect(code(svc.submitCode(begun.sessionId, { code: right }))).toBe('InvalidSession');
  });

  it('accepts the next code once its time step has come', async () => {
    const { clock, svc } = service();
    const first = value(svc.begin({ user: 'token@corp.example.test' }));
    value(svc.submitCode(first.sessionId, { code: svc.currentOtp('token@corp.example.test', 'oath_token') }));
    await clock.advance(30_000);
    const second = value(svc.begin({ user: 'token@corp.example.test' }));
    const next = svc.currentOtp('token@corp.example.test', 'oath_token');
    expect(value(svc.submitCode(second.sessionId, { code: next })).verdict).toBe('accepted');
  });
});

describe('codeShownTo', () => {
  it("gives the code of the user's newest waiting session, whatever the method", () => {
    const { svc } = service();
    expect(svc.codeShownTo('multi@example.test')).toBeUndefined();
    value(svc.begin({ user: 'multi@example.test', method: 'sms' }));
    const second = value(svc.begin({ user: 'multi@example.test', method: 'sms' }));
    expect(svc.codeShownTo('multi@example.test')).toBe(
      svc.outbox.latest({ sessionId: second.sessionId })?.code,
    );
    value(svc.begin({ user: 'token@corp.example.test' }));
    expect(svc.codeShownTo('token@corp.example.test')).toBe(
      svc.currentOtp('token@corp.example.test', 'oath_token'),
    );
    expect(svc.codeShownTo('nobody@example.test')).toBeUndefined();
  });
});

describe('random decisions replay', () => {
  async function outcomes(seed: number): Promise<string[]> {
    const { clock, svc } = service(undefined, seed);
    const ids = Array.from({ length: 12 }, () => value(svc.begin({ user: 'coin@example.test' })).sessionId);
    await clock.advance(30_000);
    return ids.map((id) => {
      const view = value(svc.session(id));
      return `${view.status}@${(view.decidedAt ?? 0) - view.createdAt}`;
    });
  }

  it('gives the same outcomes and delays for the same seed, others for another seed', async () => {
    const first = await outcomes(11);
    expect(await outcomes(11)).toEqual(first);
    expect(await outcomes(12)).not.toEqual(first);
    // With equal weights over 12 draws, more than one outcome shows up.
    expect(new Set(first.map((o) => o.split('@')[0])).size).toBeGreaterThan(1);
    for (const o of first) {
      const [status, after] = o.split('@');
      if (status === 'timed_out') expect(after).toBe('30000');
      else expect(Number(after)).toBeGreaterThanOrEqual(1000);
    }
  });

  it("does not let one user's logins shift another user's draws", async () => {
    const alone = service(undefined, 3);
    const a = value(alone.svc.begin({ user: 'coin@example.test' })).sessionId;
    const busy = service(undefined, 3);
    for (let i = 0; i < 5; i++) value(busy.svc.begin({ user: 'multi@example.test' }));
    const b = value(busy.svc.begin({ user: 'coin@example.test' })).sessionId;
    await alone.clock.advance(30_000);
    await busy.clock.advance(30_000);
    expect(value(busy.svc.session(b)).status).toBe(value(alone.svc.session(a)).status);
    expect(value(busy.svc.session(b)).decidedAt).toBe(value(alone.svc.session(a)).decidedAt);
  });

  it('reset() replays the first run exactly', async () => {
    const { clock, svc } = service();
    const sms1 = value(svc.begin({ user: 'multi@example.test', method: 'sms' }));
    const code1 = svc.outbox.latest()?.code;
    svc.setBehaviour('multi@example.test', behaviours.deniesAfter(500));
    svc.reset();
    expect(svc.history.list()).toEqual([]);
    const sms2 = value(svc.begin({ user: 'multi@example.test', method: 'sms' }));
    expect(sms2.sessionId).toBe(sms1.sessionId);
    expect(svc.outbox.latest()?.code).toBe(code1);
    const push = value(svc.begin({ user: 'multi@example.test' }));
    await clock.advance(1000);
    expect(value(svc.session(push.sessionId)).status).toBe('approved');
  });
});

describe('runtime changes', () => {
  it('setBehaviour changes the next prompt, not one already sent', async () => {
    const { clock, svc } = service();
    const before = value(svc.begin({ user: 'multi@example.test' })).sessionId;
    svc.setBehaviour('multi@example.test', behaviours.reportsFraudAfter(200));
    const after = value(svc.begin({ user: 'multi@example.test' })).sessionId;
    await clock.advance(1000);
    expect(value(svc.session(before)).status).toBe('approved');
    expect(value(svc.session(after))).toMatchObject({ status: 'fraud_reported', decidedAt: START_MS + 200 });
    expect(() => svc.setBehaviour('ghost@example.test', behaviours.neverAnswers())).toThrow(
      /MFA_UNKNOWN_USER/,
    );
  });

  it('a long-poll started before dispose() answers at once', async () => {
    const { svc } = service();
    const id = value(svc.begin({ user: 'nodefault@example.test', method: 'push' })).sessionId;
    const poll = svc.awaitSession(id, 60_000);
    svc.dispose();
    expect(value(await poll).status).toBe('pending');
  });

  it('prunes expired sessions', async () => {
    const { clock, svc } = service();
    value(svc.begin({ user: 'multi@example.test' }));
    expect(svc.liveSessions).toBe(1);
    await clock.advance(180_000);
    expect(svc.liveSessions).toBe(0);
  });
});

describe('call history', () => {
  it('forgets the oldest calls beyond its limit', () => {
    const clock = new VirtualClock(START_MS);
    const svc = new MfaService({ tenant: tenant(), clock, historyLimit: 10 });
    for (let i = 0; i < 25; i++) svc.history.record({ endpoint: 'poll', receivedAt: clock.now() });
    const kept = svc.history.list();
    expect(kept.length).toBeLessThanOrEqual(10);
    expect(kept.at(-1)?.seq).toBe(25);
    expect(svc.history.forgotten + kept.length).toBe(25);
    svc.history.update(25, { httpStatus: 200 });
    expect(svc.history.last()?.httpStatus).toBe(200);
  });
});

describe('maskPhone', () => {
  it('keeps the last two digits', () => {
    expect(maskPhone('+44 20 7946 0000')).toBe('**********00');
  });
});
