import { isIP } from 'node:net';
import { IssueCollector } from './issues.ts';
import { parseCidr } from './cidr.ts';

/**
 * Second-factor settings. The upper-case names are the NPS extension's registry values
 * (HKLM\SOFTWARE\Microsoft\AzureMfa), kept as they are so an NPS administrator recognises them.
 */
export interface MfaSettings {
  readonly enabled: boolean;
  /** Base URL of the cloud MFA service (the mock, or a compatible service). */
  readonly serviceUrl: string;
  /** Tenant file for the embedded MFA mock, started by the command (then serviceUrl may be empty). */
  readonly embeddedTenant?: string;
  readonly tenantId: string;
  /** Identifies the server's client certificate to the token endpoint (thumbprint). */
  readonly clientCertificate: string;
  /** Unset = TRUE: users not enrolled for MFA are rejected. FALSE: they are let in without MFA. */
  readonly REQUIRE_USER_MATCH: boolean;
  /** NAS-IP-Address values (or CIDRs) whose requests skip MFA. */
  readonly IP_WHITELIST: readonly string[];
  /**
   * TRUE (the default, as NPS extension 1.2.2216.1 and later behave): a user with an app code (TOTP)
   * registered is asked for the code through an Access-Challenge instead of Approve/Deny, where the
   * RADIUS method can carry a code (PAP). FALSE: Approve/Deny as before.
   */
  readonly OVERRIDE_NUMBER_MATCHING_WITH_OTP: boolean;
  /** LDAP attribute whose value identifies the user to the MFA service instead of the UPN. */
  readonly LDAP_ALTERNATE_LOGINID_ATTRIBUTE?: string;
  /** `fail-closed` rejects when the MFA service errs; `fail-open` accepts without MFA (logged loudly). */
  readonly failMode: 'fail-closed' | 'fail-open';
  /** How long a push or phone call may take before the login is rejected. */
  readonly approvalTimeoutMs: number;
  /** Per HTTP request to the MFA service. */
  readonly httpTimeoutMs: number;
  /** Lifetime of an Access-Challenge State for code methods. */
  readonly challengeTtlMs: number;
}

export const mfaDefaults = {
  approvalTimeoutMs: 90_000,
  httpTimeoutMs: 10_000,
  // The MFA service's sessions end after 3 minutes (InvalidSession); a State cannot outlive them.
  challengeTtlMs: 180_000,
} as const;

const keys = [
  'enabled',
  'serviceUrl',
  'embedded',
  'tenantId',
  'clientCertificate',
  'REQUIRE_USER_MATCH',
  'IP_WHITELIST',
  'OVERRIDE_NUMBER_MATCHING_WITH_OTP',
  'LDAP_ALTERNATE_LOGINID_ATTRIBUTE',
  'failMode',
  'approvalTimeoutMs',
  'httpTimeoutMs',
  'challengeTtlMs',
];

export function normaliseMfa(c: IssueCollector, raw: unknown): MfaSettings {
  const input = c.object(raw, 'mfa');
  c.knownKeys(input, 'mfa', keys);
  const enabled = c.boolean(input.enabled, 'mfa.enabled', raw !== undefined && raw !== null);
  const serviceUrl = c.string(
    input.serviceUrl,
    'mfa.serviceUrl',
    '',
    'write the base URL of the MFA service, e.g. http://127.0.0.1:8443',
  );
  const embedded = c.object(input.embedded, 'mfa.embedded');
  c.knownKeys(embedded, 'mfa.embedded', ['tenant']);
  const embeddedTenant = c.optionalString(
    embedded.tenant,
    'mfa.embedded.tenant',
    'write the path of an MFA tenant file',
  );
  if (enabled && serviceUrl === '' && embeddedTenant === undefined) {
    c.add(
      'mfa.serviceUrl',
      'is missing while mfa.enabled is true',
      'write the MFA service URL, name an embedded tenant (mfa.embedded.tenant), or set mfa.enabled: false',
    );
  }
  if (serviceUrl !== '' && !/^https?:\/\//.test(serviceUrl))
    c.add(
      'mfa.serviceUrl',
      `"${serviceUrl}" is not an http(s) URL`,
      'write http://host:port or https://host:port',
    );
  const whitelist = (
    typeof input.IP_WHITELIST === 'string'
      ? input.IP_WHITELIST.split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : c.array(input.IP_WHITELIST, 'mfa.IP_WHITELIST')
  ).map((entry, i) => {
    const text = c.string(entry, `mfa.IP_WHITELIST[${i}]`, '');
    if (text !== '' && isIP(text) === 0 && parseCidr(text) === undefined) {
      c.add(
        `mfa.IP_WHITELIST[${i}]`,
        `"${text}" is not an IP address`,
        'list NAS-IP-Address values such as 10.0.0.1 (CIDRs allowed)',
      );
    }
    return text;
  });
  // With an embedded tenant the command fills these from the tenant file when they are left empty.
  const tenantId = c.string(input.tenantId, 'mfa.tenantId', '', 'write the directory tenant ID');
  const clientCertificate = c.string(
    input.clientCertificate,
    'mfa.clientCertificate',
    '',
    'write the client certificate thumbprint',
  );
  if (enabled && embeddedTenant === undefined && tenantId === '') {
    c.add(
      'mfa.tenantId',
      'is missing while mfa.enabled is true',
      'write the tenant ID the MFA service knows this server by',
    );
  }
  if (enabled && embeddedTenant === undefined && clientCertificate === '') {
    c.add(
      'mfa.clientCertificate',
      'is missing while mfa.enabled is true',
      'write the thumbprint of the client certificate registered for this server',
    );
  }
  const alternate = c.optionalString(
    input.LDAP_ALTERNATE_LOGINID_ATTRIBUTE,
    'mfa.LDAP_ALTERNATE_LOGINID_ATTRIBUTE',
    'write an LDAP attribute name such as mail',
  );
  return {
    enabled,
    serviceUrl,
    ...(embeddedTenant !== undefined ? { embeddedTenant } : {}),
    tenantId,
    clientCertificate,
    REQUIRE_USER_MATCH: parseRegistryBoolean(c, input.REQUIRE_USER_MATCH, 'mfa.REQUIRE_USER_MATCH', true),
    IP_WHITELIST: whitelist,
    OVERRIDE_NUMBER_MATCHING_WITH_OTP: parseRegistryBoolean(
      c,
      input.OVERRIDE_NUMBER_MATCHING_WITH_OTP,
      'mfa.OVERRIDE_NUMBER_MATCHING_WITH_OTP',
      true,
    ),
    ...(alternate !== undefined ? { LDAP_ALTERNATE_LOGINID_ATTRIBUTE: alternate } : {}),
    failMode: c.oneOf(input.failMode, 'mfa.failMode', 'fail-closed', ['fail-closed', 'fail-open'] as const),
    approvalTimeoutMs: c.integer(
      input.approvalTimeoutMs,
      'mfa.approvalTimeoutMs',
      mfaDefaults.approvalTimeoutMs,
      1000,
      600_000,
    ),
    httpTimeoutMs: c.integer(
      input.httpTimeoutMs,
      'mfa.httpTimeoutMs',
      mfaDefaults.httpTimeoutMs,
      100,
      120_000,
    ),
    challengeTtlMs: c.integer(
      input.challengeTtlMs,
      'mfa.challengeTtlMs',
      mfaDefaults.challengeTtlMs,
      1000,
      600_000,
    ),
  };
}

/** Registry values are strings "TRUE"/"FALSE" on Windows; accept those and YAML booleans. */
function parseRegistryBoolean(c: IssueCollector, value: unknown, field: string, fallback: boolean): boolean {
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toUpperCase() === 'TRUE';
  return c.boolean(value, field, fallback);
}
