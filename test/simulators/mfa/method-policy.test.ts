// The mock's method choice for the NPS extension's seed points: every time-based code (app TOTP,
// other software tokens, hardware OATH tokens) counts for the OTP-instead-of-push override; a user
// registered only for SSPR is enrolled; a tenant-wide switch takes a method away from everyone.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../runtime/clock.ts';
import type { BeginRequest } from '../../../protocol/mfa-api.ts';
import type { MfaResult } from '../../../simulators/mfa/errors.ts';
import { MfaService } from '../../../simulators/mfa/service.ts';
import { parseTenantYaml, tenantOrThrow } from '../../../simulators/mfa/tenant.ts';
import { START_MS } from './support/harness.ts';

const TENANT = `
tenant:
  id: t-1
  domains: [example.test]
  certificates: [{ file: test/fixtures/certificates/test-client.pem }]
settings: { seed: 7, disabledMethods: DISABLED }
users:
  - upn: fob@example.test
    methods: [push, oath_token]
    defaultMethod: push
    oathToken: { serial: HW-0001, secret: JBSWY3DPEHPK3PXP }
  - upn: both@example.test
    methods: [push, app_code, oath_token]
    defaultMethod: oath_token
    totp: { secret: JBSWY3DPEHPK3PXP }
    oathToken: { serial: HW-0002, secret: GEZDGNBVGY3TQOJQ }
  - upn: sspr@example.test
    registeredFor: [sspr]
    methods: [sms]
    phone: '+15550100001'
  - upn: texter@example.test
    methods: [sms, push]
    defaultMethod: sms
    phone: '+15550100002'
  - upn: smsonly@example.test
    methods: [sms]
    phone: '+15550100003'
`;

function service(disabled: readonly string[] = []): MfaService {
  const tenant = tenantOrThrow(parseTenantYaml(TENANT.replace('DISABLED', `[${disabled.join(', ')}]`)));
  return new MfaService({ tenant, clock: new VirtualClock(START_MS) });
}

function begin(s: MfaService, request: BeginRequest): MfaResult<{ method: string; next: string }> {
  const result = s.begin(request);
  return result.ok ? { ok: true, value: { method: result.value.method, next: result.value.next } } : result;
}

describe('OVERRIDE_NUMBER_MATCHING_WITH_OTP (preferAppCode): any TOTP counts', () => {
  it('a hardware OATH token is asked for instead of the push', () => {
    const s = service();
    expect(begin(s, { user: 'fob@example.test', preferAppCode: true })).toEqual({
      ok: true,
      value: { method: 'oath_token', next: 'enter_token_code' },
    });
    expect(begin(s, { user: 'fob@example.test', preferAppCode: false })).toMatchObject({
      value: { method: 'push' },
    });
  });

  it('with both, the default wins when it is a code method', () => {
    expect(begin(service(), { user: 'both@example.test', preferAppCode: true })).toMatchObject({
      value: { method: 'oath_token' },
    });
  });

  it('not over a RADIUS method that cannot carry a code (MS-CHAPv2, EAP): the push', () => {
    expect(
      begin(service(), {
        user: 'fob@example.test',
        preferAppCode: true,
        acceptableMethods: ['push', 'phone_call'],
      }),
    ).toMatchObject({ value: { method: 'push' } });
  });
});

describe('a user registered only for SSPR', () => {
  it('has methods, so is enrolled and gets MFA (never UserNotEnrolled)', () => {
    const s = service();
    expect(s.tenant.users.find((u) => u.upn === 'sspr@example.test')).toMatchObject({
      enrolled: true,
      registeredFor: ['sspr'],
    });
    expect(begin(s, { user: 'sspr@example.test' })).toEqual({
      ok: true,
      value: { method: 'sms', next: 'sms_sent' },
    });
  });
});

describe('a method switched off tenant-wide', () => {
  it('is never chosen: a default switched off falls back to the next registered method', () => {
    const s = service(['sms']);
    expect(begin(s, { user: 'texter@example.test' })).toMatchObject({ value: { method: 'push' } });
  });

  it('a user left with no usable method fails closed with NoDefaultAuthenticationMethodIsConfigured', () => {
    const result = begin(service(['sms']), { user: 'smsonly@example.test' });
    expect(result).toMatchObject({ ok: false, code: 'NoDefaultAuthenticationMethodIsConfigured' });
  });

  it('asked for by name: AuthenticationMethodNotConfigured, saying it is disabled', () => {
    const result = begin(service(['sms']), { user: 'texter@example.test', method: 'sms' });
    expect(result).toMatchObject({ ok: false, code: 'AuthenticationMethodNotConfigured' });
    expect(result.ok ? '' : result.detail).toMatch(/disabled for the tenant/);
  });

  it('switched at run time, and back on by setMethodEnabled or reset()', () => {
    const s = service();
    expect(begin(s, { user: 'fob@example.test', preferAppCode: true })).toMatchObject({
      value: { method: 'oath_token' },
    });
    s.setMethodEnabled('oath_token', false);
    expect(begin(s, { user: 'fob@example.test', preferAppCode: true })).toMatchObject({
      value: { method: 'push' },
    });
    s.setMethodEnabled('oath_token', true);
    expect(begin(s, { user: 'fob@example.test', preferAppCode: true })).toMatchObject({
      value: { method: 'oath_token' },
    });
    s.setMethodEnabled('push', false);
    s.reset();
    expect(begin(s, { user: 'fob@example.test' })).toMatchObject({ value: { method: 'push' } });
  });

  it('the tenant file names the methods: an unknown one is an issue with its fix', () => {
    const parsed = parseTenantYaml(TENANT.replace('DISABLED', '[fax]'));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.issues).toMatchObject([{ path: 'settings.disabledMethods[0]' }]);
  });
});
