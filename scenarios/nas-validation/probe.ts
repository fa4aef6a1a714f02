// The probe tenant: users whose names say what their phone will do, so an operator (or a lab script)
// can test a NAS's timeouts against MFA response times it chooses by logging in as the right user.
// Generated as data for the directory (simulators/ldap fixture) and the MFA mock (tenant), both
// validated by their own parsers, so the probe users are exactly what the stub and the mock serve.
import { validateDirectoryFixture, type DirectoryFixture } from '../../simulators/ldap/index.ts';
import { parseTenant, tenantOrThrow, type TenantDefinition } from '../../simulators/mfa/tenant.ts';

export const PROBE_DOMAIN = 'probe.radmfa.test';
export const DEFAULT_PROBE_PASSWORD = 'Passw0rd!';
/** A GUID like the one the NPS extension setup script asks for; fixed so reports compare run to run. */
export const PROBE_TENANT_ID = '5e1d9a2c-7b3f-4c8e-a6d0-9f2b1c3e4a5d';

export type ProbeUserName =
  | 'probe-approve-2s'
  | 'probe-approve-10s'
  | 'probe-approve-30s'
  | 'probe-approve-45s'
  | 'probe-approve-90s'
  | 'probe-never'
  | 'probe-deny'
  | 'probe-code'
  | 'probe-call-5s';

/** What the probe user's MFA does, as the analysis needs it: the expected outcome and when. */
export type ProbeExpectation =
  | { readonly kind: 'approve'; readonly afterMs: number; readonly method: 'push' | 'phone_call' }
  | { readonly kind: 'deny'; readonly afterMs: number }
  | { readonly kind: 'never' }
  | { readonly kind: 'code' };

export interface ProbeUser {
  readonly name: ProbeUserName;
  readonly expectation: ProbeExpectation;
  /** What the operator should expect, in words, for the printed instructions. */
  readonly instruction: string;
}

const approve = (name: ProbeUserName, afterMs: number, instruction: string): ProbeUser => ({
  name,
  expectation: { kind: 'approve', afterMs, method: 'push' },
  instruction,
});

/** In the order the operator should log in: short waits first, then what needs a long NAS timeout. */
export const PROBE_USERS: readonly ProbeUser[] = [
  approve('probe-approve-2s', 2_000, 'push approved after 2 s: every NAS should let this one in'),
  approve('probe-approve-10s', 10_000, 'push approved after 10 s: fails on a NAS that waits less than 10 s'),
  approve('probe-approve-30s', 30_000, 'push approved after 30 s: fails on a NAS that waits less than 30 s'),
  approve('probe-approve-45s', 45_000, 'push approved after 45 s: a typical slow user'),
  approve(
    'probe-approve-90s',
    90_000,
    'push approved after 90 s: passes only on a NAS that waits 90 s or more (the seed allows 90-120 s)',
  ),
  {
    name: 'probe-never',
    expectation: { kind: 'never' },
    instruction:
      'push never answered: the NAS retransmits until it gives up; this measures its timeout and retries',
  },
  {
    name: 'probe-deny',
    expectation: { kind: 'deny', afterMs: 3_000 },
    instruction: 'push denied after 3 s: the NAS must refuse the login',
  },
  {
    name: 'probe-code',
    expectation: { kind: 'code' },
    instruction:
      'code by SMS: the NAS must show the Access-Challenge prompt; type the code radmfa prints when it is sent',
  },
  {
    name: 'probe-call-5s',
    expectation: { kind: 'approve', afterMs: 5_000, method: 'phone_call' },
    instruction: 'phone call answered after 5 s: the NAS must wait for the call like for a push',
  },
];

export const probeUserNames: readonly ProbeUserName[] = PROBE_USERS.map((user) => user.name);

export function probeUser(name: string): ProbeUser | undefined {
  const lower = name.toLowerCase();
  // A NAS may send DOMAIN\user or user@domain; the probe is the bare name.
  const bare = lower.replace(/^[^\\]*\\/, '').replace(/@.*$/, '');
  return PROBE_USERS.find((user) => user.name === bare);
}

/** How long the MFA service lets a prompt run: longer than the slowest probe user, so -90s can pass. */
export const PROBE_PROMPT_TIMEOUT_MS = 120_000;

/** The directory side: one account per probe user, all with `password`. */
export function probeDirectoryInput(password: string): Record<string, unknown> {
  return {
    baseDn: 'DC=probe,DC=radmfa,DC=test',
    serviceAccount: {
      dn: 'CN=svc-radius,OU=Service Accounts,DC=probe,DC=radmfa,DC=test',
      sAMAccountName: 'svc-radius',
      password: 'S3rvice-Passw0rd!',
    },
    defaults: { password, pwdLastSet: '2025-01-06T09:00:00Z' },
    users: PROBE_USERS.map((user, i) => ({
      dn: `CN=${user.name},OU=Probe,DC=probe,DC=radmfa,DC=test`,
      sAMAccountName: user.name,
      userPrincipalName: `${user.name}@${PROBE_DOMAIN}`,
      attributes: { mobile: `+1202555${String(1000 + i)}` },
    })),
  };
}

function behaviourOf(user: ProbeUser): Record<string, unknown> {
  const e = user.expectation;
  switch (e.kind) {
    case 'approve':
      return { prompt: { outcome: 'approve', after: e.afterMs } };
    case 'deny':
      return { prompt: { outcome: 'deny', after: e.afterMs } };
    case 'never':
      return { prompt: { outcome: 'ignore' } };
    case 'code':
      return { code: { typing: 5_000, wrongCodeProbability: 0 } };
  }
}

function methodsOf(user: ProbeUser): string[] {
  const e = user.expectation;
  if (e.kind === 'code') return ['sms'];
  if (e.kind === 'approve') return [e.method];
  return ['push'];
}

/** The MFA mock side: each probe user's method and behaviour. */
export function probeTenantInput(): Record<string, unknown> {
  return {
    tenant: { id: PROBE_TENANT_ID, name: 'radmfa NAS probe', domains: [PROBE_DOMAIN] },
    settings: {
      sessionLifetime: '3m',
      promptTimeout: PROBE_PROMPT_TIMEOUT_MS,
      maxWrongCodes: 3,
      smsCodeLength: 6,
      seed: 1,
    },
    users: PROBE_USERS.map((user, i) => ({
      upn: `${user.name}@${PROBE_DOMAIN}`,
      methods: methodsOf(user),
      ...(methodsOf(user).some((m) => m === 'sms' || m === 'phone_call')
        ? { phone: `+1202555${String(1000 + i)}` }
        : {}),
      behaviour: behaviourOf(user),
    })),
  };
}

export interface ProbeTenant {
  readonly directory: DirectoryFixture;
  readonly tenant: TenantDefinition;
  readonly users: readonly ProbeUser[];
}

/** Both halves, validated (a mistake here is a bug, so it throws with every issue listed). */
export function probeTenant(password: string = DEFAULT_PROBE_PASSWORD): ProbeTenant {
  return {
    directory: validateDirectoryFixture(probeDirectoryInput(password), 'the probe directory'),
    tenant: tenantOrThrow(parseTenant(probeTenantInput()), 'the probe tenant'),
    users: PROBE_USERS,
  };
}
