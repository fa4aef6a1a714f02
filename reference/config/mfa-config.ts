import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  IssueCollector,
  isPlainObject,
  validate,
  z,
  type PlainObject,
} from '../../runtime/validation/index.ts';
import { parseCidr } from './cidr.ts';
import { CLOUD_PRESETS, HOSTNAME_PATTERN, MFA_CLOUDS, type CloudHosts, type MfaCloud } from './mfa-cloud.ts';
import {
  buildMfaTransport,
  checkMfaTransport,
  mfaTransportSchema,
  type MfaTransportSettings,
} from './mfa-transport-config.ts';
import { checkInputFile } from './paths.ts';

function checkInputDir(c: IssueCollector, path: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') return;
  const kind = statSync(value, { throwIfNoEntry: false });
  if (kind === undefined || !kind.isDirectory())
    c.add(
      path,
      `"${value}" is not a directory`,
      'create it with radmfa cert new --dir DIR, or correct the path',
    );
}

/**
 * Second-factor settings. The upper-case names are the NPS extension's registry values
 * (HKLM\SOFTWARE\Microsoft\AzureMfa), kept as they are so an NPS administrator recognises them.
 */
export interface MfaSettings extends CloudHosts, MfaTransportSettings {
  readonly enabled: boolean;
  /**
   * One compatible service at this base URL plays every host (the embedded mock, a lab service);
   * empty: the cloud's hosts (`cloud` and the three registry values, in CloudHosts).
   */
  readonly serviceUrl: string;
  /** The preset the three host settings were taken from (each can be overridden). */
  readonly cloud: MfaCloud;
  /** Tenant file for the embedded MFA mock, started by the command (then serviceUrl may be empty). */
  readonly embeddedTenant?: string;
  /**
   * The embedded mock plays the cloud's hosts (STS_URL's and AZURE_MFA_HOSTNAME) over HTTPS, with a CA
   * made for the run, instead of one plain-HTTP loopback URL.
   */
  readonly embeddedHttps: boolean;
  readonly tenantId: string;
  /**
   * Directory of the server's client certificates (PEM: certificate and private key in one file, or
   * NAME.pem/.crt/.cer with NAME.key). Unset with an embedded tenant: a demo certificate is generated
   * at start-up and registered with the embedded mock.
   */
  readonly certificateDir?: string;
  /**
   * The registry value: the thumbprint of the certificate to use (extension 1.2.2893.1 and later).
   * Unset: certificates are chosen by the subject CN=<tenantId>, OU=Microsoft NPS Extension.
   */
  readonly CLIENT_CERT_IDENTIFIER?: string;
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

/** Registry values are the strings "TRUE"/"FALSE" on Windows; YAML booleans are accepted too. */
const registryBoolean = z
  .union([z.boolean(), z.string().regex(/^(TRUE|FALSE|True|False|true|false)$/)])
  .meta({ fix: 'write TRUE or FALSE' });

const nonEmpty = z.string().min(1);

const hostname = z.string().regex(HOSTNAME_PATTERN, 'is not a host name').meta({
  fix: 'write a host name without scheme or path, e.g. strongauthenticationservice.auth.microsoft.us',
});

export const mfaSchema = z
  .object({
    enabled: z.boolean().optional().meta({ description: 'default: true when the mfa section is present' }),
    serviceUrl: z
      .string()
      .regex(/^https?:\/\//, 'is not an http(s) URL')
      .optional()
      .meta({
        fix: 'write http://host:port or https://host:port',
        description: 'one base URL playing every MFA host (instead of the cloud hostnames)',
      }),
    cloud: z
      .enum(MFA_CLOUDS)
      .default('public')
      .meta({ description: 'public, usgov (Azure Government) or china (Azure operated by 21Vianet)' }),
    AZURE_MFA_HOSTNAME: hostname.optional().meta({ description: "the MFA service's host (preset by cloud)" }),
    AZURE_MFA_RESOURCE_HOSTNAME: hostname
      .optional()
      .meta({ description: 'the resource a token is requested for (preset by cloud)' }),
    STS_URL: z
      .string()
      .regex(/^https?:\/\/[^/?#]+\/?$/, 'is not an http(s) origin')
      .optional()
      .meta({
        fix: 'write the token service as https://host/, e.g. https://login.microsoftonline.us/',
        description: 'the security token service (preset by cloud)',
      }),
    ...mfaTransportSchema,
    embedded: z
      .object({
        tenant: nonEmpty.meta({ fix: 'write the path of an MFA tenant file' }),
        https: z
          .boolean()
          .optional()
          .meta({ description: "serve the mock under the cloud's host names over HTTPS with a run CA" }),
      })
      .strict()
      .nullish()
      .meta({ description: 'start the MFA mock in process with this tenant file' }),
    tenantId: nonEmpty.optional().meta({ fix: 'write the directory tenant ID' }),
    certificates: z
      .object({
        dir: nonEmpty.meta({
          fix: 'write the directory holding the client certificates (radmfa cert new --dir)',
        }),
      })
      .strict()
      .nullish()
      .meta({ description: 'where the client certificates and their keys are (PEM files)' }),
    CLIENT_CERT_IDENTIFIER: z
      .string()
      .transform((v) => v.replace(/[\s:]/g, '').toUpperCase())
      .pipe(z.string().regex(/^[0-9A-F]{40}$/, 'is not a SHA-1 thumbprint (40 hex digits)'))
      .nullish()
      .meta({
        fix: 'copy the thumbprint radmfa cert list prints (40 hex digits; spaces and colons are ignored)',
        description: 'thumbprint of the client certificate to use; default: by subject',
      }),
    REQUIRE_USER_MATCH: registryBoolean.optional(),
    IP_WHITELIST: z
      .union([z.string(), z.array(nonEmpty)])
      .nullish()
      .meta({ description: 'NAS-IP-Address values or CIDRs that skip MFA (list, or comma-separated)' }),
    OVERRIDE_NUMBER_MATCHING_WITH_OTP: registryBoolean.optional(),
    LDAP_ALTERNATE_LOGINID_ATTRIBUTE: nonEmpty
      .nullish()
      .meta({ fix: 'write an LDAP attribute name such as mail' }),
    failMode: z.enum(['fail-closed', 'fail-open']).default('fail-closed'),
    approvalTimeoutMs: z.int().min(1000).max(600_000).default(mfaDefaults.approvalTimeoutMs),
    httpTimeoutMs: z.int().min(100).max(120_000).default(mfaDefaults.httpTimeoutMs),
    challengeTtlMs: z.int().min(1000).max(600_000).default(mfaDefaults.challengeTtlMs),
  })
  .strict();

type MfaInput = z.output<typeof mfaSchema>;

function whitelistEntries(value: unknown): readonly unknown[] {
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  return Array.isArray(value) ? value : [];
}

function registryValue(value: boolean | string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  return typeof value === 'boolean' ? value : value.toUpperCase() === 'TRUE';
}

const CLOUD_SETTINGS = ['cloud', 'AZURE_MFA_HOSTNAME', 'AZURE_MFA_RESOURCE_HOSTNAME', 'STS_URL'] as const;

/** What no schema can say: which settings an enabled MFA needs, and whether addresses parse. */
function checkMfa(c: IssueCollector, input: PlainObject, present: boolean): void {
  const enabled = typeof input.enabled === 'boolean' ? input.enabled : present;
  const embedded = isPlainObject(input.embedded) ? input.embedded.tenant !== undefined : false;
  if (isPlainObject(input.embedded)) {
    checkInputFile(c, 'embedded.tenant', input.embedded.tenant, 'an MFA tenant file');
  }
  // radmfa speaks its own MFA API, not Microsoft's: the cloud's hosts are only used when asked for
  // (a cloud or a host named), never as a silent default that would send logins to the internet.
  const cloudNamed = CLOUD_SETTINGS.some((key) => input[key] !== undefined);
  if (enabled && !embedded && input.serviceUrl === undefined && !cloudNamed) {
    c.add(
      'serviceUrl',
      'is missing while mfa.enabled is true',
      'write the MFA service URL, choose a cloud (mfa.cloud: public, usgov or china, with mfa.resolve mapping its hosts to your service), name an embedded tenant (mfa.embedded.tenant), or set mfa.enabled: false',
    );
  }
  // With an embedded tenant the command fills these from the tenant file when they are left empty.
  if (enabled && !embedded && input.tenantId === undefined) {
    c.add(
      'tenantId',
      'is missing while mfa.enabled is true',
      'write the tenant ID the MFA service knows this server by',
    );
  }
  if (enabled && !embedded && !isPlainObject(input.certificates)) {
    c.add(
      'certificates.dir',
      'is missing while mfa.enabled is true',
      'write certificates: { dir: DIR } with the client certificates (make one with radmfa cert new --dir DIR)',
    );
  }
  if (isPlainObject(input.certificates)) checkInputDir(c, 'certificates.dir', input.certificates.dir);
  checkMfaTransport(c, input);
  whitelistEntries(input.IP_WHITELIST).forEach((entry, i) => {
    if (typeof entry !== 'string' || entry === '') return;
    if (isIP(entry) === 0 && parseCidr(entry) === undefined) {
      c.add(
        `IP_WHITELIST[${i}]`,
        `"${entry}" is not an IP address`,
        'list NAS-IP-Address values such as 10.0.0.1 (CIDRs allowed)',
      );
    }
  });
}

function buildMfa(input: MfaInput, present: boolean): MfaSettings {
  const embeddedTenant = input.embedded?.tenant;
  const alternate = input.LDAP_ALTERNATE_LOGINID_ATTRIBUTE ?? undefined;
  const preset = CLOUD_PRESETS[input.cloud];
  return {
    enabled: input.enabled ?? present,
    serviceUrl: input.serviceUrl ?? '',
    cloud: input.cloud,
    AZURE_MFA_HOSTNAME: (input.AZURE_MFA_HOSTNAME ?? preset.AZURE_MFA_HOSTNAME).toLowerCase(),
    AZURE_MFA_RESOURCE_HOSTNAME: (
      input.AZURE_MFA_RESOURCE_HOSTNAME ?? preset.AZURE_MFA_RESOURCE_HOSTNAME
    ).toLowerCase(),
    STS_URL: input.STS_URL ?? preset.STS_URL,
    ...buildMfaTransport(input),
    ...(embeddedTenant !== undefined ? { embeddedTenant } : {}),
    embeddedHttps: input.embedded?.https === true,
    tenantId: input.tenantId ?? '',
    ...(input.certificates?.dir !== undefined ? { certificateDir: input.certificates.dir } : {}),
    ...(input.CLIENT_CERT_IDENTIFIER != null ? { CLIENT_CERT_IDENTIFIER: input.CLIENT_CERT_IDENTIFIER } : {}),
    REQUIRE_USER_MATCH: registryValue(input.REQUIRE_USER_MATCH, true),
    IP_WHITELIST: whitelistEntries(input.IP_WHITELIST).filter((e): e is string => typeof e === 'string'),
    OVERRIDE_NUMBER_MATCHING_WITH_OTP: registryValue(input.OVERRIDE_NUMBER_MATCHING_WITH_OTP, true),
    ...(alternate !== undefined ? { LDAP_ALTERNATE_LOGINID_ATTRIBUTE: alternate } : {}),
    failMode: input.failMode,
    approvalTimeoutMs: input.approvalTimeoutMs,
    httpTimeoutMs: input.httpTimeoutMs,
    challengeTtlMs: input.challengeTtlMs,
  };
}

/** The `mfa` section: shape from mfaSchema, dependencies and addresses here; issues go to `c`. */
export function normaliseMfa(c: IssueCollector, raw: unknown): MfaSettings {
  const present = raw !== undefined && raw !== null;
  const parsed = validate(mfaSchema, raw ?? {}, 'mfa');
  const semantic = new IssueCollector('mfa');
  checkMfa(semantic, isPlainObject(raw) ? raw : {}, present);
  c.addChecked(parsed, semantic.issues);
  return buildMfa(parsed.ok ? parsed.value : mfaSchema.parse({}), present);
}
