// Vendor retry behaviours as data. Each number carries where it comes from; "assumed" marks the
// numbers no vendor document we could find states, so a report never passes a guess off as a fact.
import type { Issue } from '../../runtime/validation/index.ts';
import {
  RFC5080_RECOMMENDED,
  describeRetryPolicy,
  normaliseRetryPolicy,
  retryPolicyDefaults,
  type RetryPolicy,
  type RetryPolicyInput,
} from './policy.ts';

export type NasProfileName =
  | 'rfc5080'
  | 'palo-alto'
  | 'fortigate'
  | 'cisco-asa'
  | 'netscaler'
  | 'radclient'
  | 'eapol_test'
  | 'okta-agent'
  | 'nps-recommended'
  | 'custom';

export const nasProfileNames: readonly NasProfileName[] = [
  'rfc5080',
  'palo-alto',
  'fortigate',
  'cisco-asa',
  'netscaler',
  'radclient',
  'eapol_test',
  'okta-agent',
  'nps-recommended',
  'custom',
];

export type PolicyField =
  | 'timeoutMs'
  | 'retries'
  | 'irtMs'
  | 'mrc'
  | 'mrtMs'
  | 'mrdMs'
  | 'rand'
  | 'retransmission'
  | 'failoverAfterTimeouts';

export interface NasProfile {
  readonly name: NasProfileName;
  readonly description: string;
  readonly policy: RetryPolicy;
  /** Where each value of the policy comes from. */
  readonly sources: Readonly<Partial<Record<PolicyField, string>>>;
}

const ASSUMED_SAME = 'assumed: retransmission format not documented; RFC 5080 behaviour (same datagram)';

export const nasProfiles: Readonly<Record<NasProfileName, NasProfile>> = {
  rfc5080: {
    name: 'rfc5080',
    description: 'the RFC 5080 2.2.1 recommended client: exponential backoff with jitter',
    policy: { kind: 'backoff', ...RFC5080_RECOMMENDED, retransmission: 'same', stickyFailover: true },
    sources: {
      irtMs: 'RFC 5080 2.2.1 recommended IRT 2 s',
      mrc: 'RFC 5080 2.2.1 recommended MRC 5',
      mrtMs: 'RFC 5080 2.2.1 recommended MRT 16 s',
      mrdMs: 'RFC 5080 2.2.1 recommended MRD 30 s',
      rand: 'RFC 5080 2.2.1 recommended RAND 0.1',
      retransmission: 'RFC 5080 2.2.1: a retransmission keeps the Identifier and Request Authenticator',
    },
  },
  'palo-alto': {
    name: 'palo-alto',
    description: 'Palo Alto Networks PAN-OS RADIUS server profile defaults (GlobalProtect)',
    policy: { kind: 'fixed', timeoutMs: 3_000, retries: 2, retransmission: 'same', stickyFailover: true },
    sources: {
      timeoutMs: 'PAN-OS web interface help, Device > Server Profiles > RADIUS: Timeout default 3 s',
      retries:
        'same page: Retries default 3; the PAN-OS admin guide counts the total as timeout x retries x servers, ' +
        'so 3 transmissions per server (2 retransmissions)',
      retransmission: ASSUMED_SAME,
    },
  },
  fortigate: {
    name: 'fortigate',
    description: 'Fortinet FortiGate remote authentication defaults',
    policy: { kind: 'fixed', timeoutMs: 5_000, retries: 0, retransmission: 'same', stickyFailover: true },
    sources: {
      timeoutMs: 'FortiOS config system global: remoteauthtimeout default 5 s (Fortinet hardening guide)',
      retries:
        'assumed: remoteauthtimeout is documented as the whole wait; retransmissions within it are not',
      retransmission: ASSUMED_SAME,
    },
  },
  'cisco-asa': {
    name: 'cisco-asa',
    description: 'Cisco ASA aaa-server RADIUS defaults (AnyConnect)',
    policy: { kind: 'fixed', timeoutMs: 10_000, retries: 2, retransmission: 'same', stickyFailover: true },
    sources: {
      timeoutMs: 'assumed: aaa-server host timeout default 10 s (ASA command reference, not confirmed here)',
      retries:
        'ASA configuration guide: max-failed-attempts default 3 requests to a server before trying the next one; ' +
        'modelled as 3 transmissions (2 retransmissions)',
      retransmission: ASSUMED_SAME,
    },
  },
  netscaler: {
    name: 'netscaler',
    description: 'Citrix NetScaler (ADC) Gateway RADIUS action defaults',
    policy: { kind: 'fixed', timeoutMs: 3_000, retries: 0, retransmission: 'same', stickyFailover: true },
    sources: {
      timeoutMs:
        'assumed: authentication radiusAction -authTimeout default 3 s (CLI reference, not confirmed here)',
      retries: 'assumed: no retransmission documented',
      retransmission: ASSUMED_SAME,
    },
  },
  radclient: {
    name: 'radclient',
    description: 'FreeRADIUS radclient code defaults',
    policy: { kind: 'fixed', timeoutMs: 5_000, retries: 2, retransmission: 'same', stickyFailover: true },
    sources: {
      timeoutMs: 'radclient code default -t 5 s (notes/peers-on-this-machine.md)',
      retries: 'radclient code default -r 3, counting every transmission: 2 retransmissions',
      retransmission: 'radclient resends the packet it encoded (same Identifier and authenticator)',
    },
  },
  eapol_test: {
    name: 'eapol_test',
    description: 'wpa_supplicant eapol_test: hostapd RADIUS client backoff inside a 30 s overall limit',
    policy: {
      kind: 'backoff',
      irtMs: 3_000,
      mrc: 11,
      mrtMs: 120_000,
      mrdMs: 30_000,
      rand: 0,
      retransmission: 'same',
      stickyFailover: true,
    },
    sources: {
      irtMs: 'hostapd src/radius/radius_client.c RADIUS_CLIENT_FIRST_WAIT 3 s',
      mrc: 'hostapd RADIUS_CLIENT_MAX_RETRIES 10: 11 transmissions',
      mrtMs: 'hostapd RADIUS_CLIENT_MAX_WAIT 120 s',
      mrdMs: 'eapol_test -t default 30 s (applies to the whole EAP exchange; modelled per request)',
      rand: 'hostapd doubles the wait without jitter',
      retransmission: 'hostapd retransmits the stored message',
    },
  },
  'okta-agent': {
    name: 'okta-agent',
    description: 'a NAS in front of the Okta RADIUS agent, waiting as long as the agent may take',
    policy: { kind: 'fixed', timeoutMs: 60_000, retries: 0, retransmission: 'same', stickyFailover: true },
    sources: {
      timeoutMs: 'Okta RADIUS agent ragent.total.request.timeout.millisecond default 60000 (Okta help)',
      retries: 'assumed: one transmission, since the agent answers within its own limit',
      retransmission: ASSUMED_SAME,
    },
  },
  'nps-recommended': {
    name: 'nps-recommended',
    description: 'a VPN server set as the NPS extension for Entra MFA documentation recommends',
    policy: { kind: 'fixed', timeoutMs: 60_000, retries: 1, retransmission: 'same', stickyFailover: true },
    sources: {
      timeoutMs:
        'seed document (NPS extension): VPN servers should wait at least 60 s (90 or 120 s if needed)',
      retries:
        'assumed: the document says the VPN server sends the request again after a timeout, not how often',
      retransmission: ASSUMED_SAME,
    },
  },
  custom: {
    name: 'custom',
    description: 'user values over the generic defaults',
    policy: { kind: 'fixed', ...retryPolicyDefaults.fixed, retransmission: 'same', stickyFailover: true },
    sources: {
      timeoutMs: 'user value, default 5 s',
      retries: 'user value, default 2',
      retransmission: 'user value, default same',
    },
  },
};

export function isNasProfileName(value: unknown): value is NasProfileName {
  return typeof value === 'string' && (nasProfileNames as readonly string[]).includes(value);
}

export interface ResolvedNasPolicy {
  readonly profile: NasProfile;
  readonly policy: RetryPolicy;
}

export type ResolvedNasPolicyResult =
  | { readonly ok: true; readonly value: ResolvedNasPolicy }
  | { readonly ok: false; readonly issues: readonly Issue[] };

/**
 * A profile (default `rfc5080`) with optional overrides. Overriding any field of a vendor profile
 * keeps the profile's name in the result: the description then says which values are the user's.
 */
export function resolveNasPolicy(
  profileName: string | undefined,
  overrides?: RetryPolicyInput,
): ResolvedNasPolicyResult {
  const name = profileName ?? (overrides !== undefined ? 'custom' : 'rfc5080');
  if (!isNasProfileName(name)) {
    return {
      ok: false,
      issues: [
        {
          path: 'profile',
          message: `unknown NAS profile ${JSON.stringify(name)}`,
          fix: `use one of ${nasProfileNames.join(', ')}`,
        },
      ],
    };
  }
  const profile = nasProfiles[name];
  const result = normaliseRetryPolicy(overrides ?? {}, profile.policy);
  return result.ok ? { ok: true, value: { profile, policy: result.policy } } : result;
}

/** The profile in words, with the source of each value. */
export function describeNasProfile(profile: NasProfile, policy: RetryPolicy = profile.policy): string {
  const ownValue = (field: string): unknown => (profile.policy as unknown as Record<string, unknown>)[field];
  const value = (field: string): unknown => (policy as unknown as Record<string, unknown>)[field];
  const sources = Object.entries(profile.sources)
    .map(([field, source]) => `${field}: ${value(field) === ownValue(field) ? source : 'user value'}`)
    .join('; ');
  return `${profile.name} (${profile.description}): ${describeRetryPolicy(policy)} Sources: ${sources}.`;
}
