// The mock's tenant: who may get tokens (certificates), which users exist, what they registered and
// how they behave. Written as YAML; normalised with defaults here and validated all at once, every
// issue naming the field and the fix (exit 104 territory for the CLI).

import { X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { certificateInfo } from '../../runtime/certificate-info.ts';
import { base32Decode, type OtpAlgorithm } from '../../protocol/auth/otp.ts';
import {
  describeValue,
  formatIssues,
  IssueCollector,
  isPlainObject,
  type Issue,
  type PlainObject,
} from '../../runtime/validation/index.ts';
import { parseDurationMs } from '../users/durations.ts';
import { parseUserBehaviour } from '../users/parse.ts';
import type { UserBehaviour } from '../users/behaviour.ts';
import { MFA_METHODS, type MfaMethod } from './api-types.ts';
import { MfaMockError } from './errors.ts';

export interface OtpDefinition {
  /** The shared secret as the user's authenticator app holds it (RFC 4648 base32). */
  readonly secret: string;
  readonly key: Buffer;
  readonly algorithm: OtpAlgorithm;
  readonly digits: number;
  readonly periodSeconds: number;
}

export interface OathTokenDefinition extends OtpDefinition {
  readonly serial: string;
}

/**
 * What the user registered their methods for. Entra keeps one list of strong authentication methods
 * whichever registration put them there, so a user registered only for self-service password reset
 * (SSPR) has methods, counts as enrolled and is asked for MFA like anyone else.
 */
export type Registration = 'mfa' | 'sspr';

export interface MfaUserDefinition {
  readonly upn: string;
  readonly alternateIds: readonly string[];
  readonly enrolled: boolean;
  readonly registeredFor: readonly Registration[];
  readonly methods: readonly MfaMethod[];
  readonly defaultMethod?: MfaMethod;
  readonly phone?: string;
  readonly totp?: OtpDefinition;
  readonly oathToken?: OathTokenDefinition;
  readonly behaviour: UserBehaviour;
}

/**
 * A certificate registered for the tenant's MFA client, as Entra keeps it on the service principal
 * (KeyCredentials: the certificate's public key, its thumbprint as customKeyIdentifier, StartDateTime
 * and EndDateTime). Tokens are only issued for assertions this key verifies, between those dates.
 */
export interface KeyCredential {
  /** SHA-1 thumbprint, upper-case hex without separators. */
  readonly thumbprint: string;
  readonly thumbprintSha256: string;
  readonly subject: string;
  readonly publicKey: KeyObject;
  /** Epoch ms; default the certificate's notBefore. */
  readonly startDate: number;
  /** Epoch ms; default the certificate's notAfter. */
  readonly endDate: number;
  readonly description?: string;
}

export interface TenantSettings {
  /** The NPS extension's documented limit: sessions are invalid after three minutes. */
  readonly sessionLifetimeMs: number;
  /** A push or call nobody answers ends as timed_out after this long. */
  readonly promptTimeoutMs: number;
  /** Wrong codes allowed per session before it is locked out. */
  readonly maxWrongCodes: number;
  readonly tokenLifetimeMs: number;
  readonly smsCodeLength: number;
  /** TOTP steps accepted on each side of the current one (RFC 6238 section 5.2 resynchronisation). */
  readonly otpWindowSteps: number;
  /** Seed of every random stream (user decisions, SMS codes, faults), so runs replay. */
  readonly seed: number;
  /**
   * Methods switched off for everyone (the tenant's authentication methods policy): never chosen,
   * and a user's default that is switched off falls back to their next registered method.
   */
  readonly disabledMethods: readonly MfaMethod[];
}

export interface TenantDefinition {
  readonly id: string;
  readonly name: string;
  /** UPN domains this tenant may authenticate; a user outside them gets AccessDenied. */
  readonly domains: readonly string[];
  readonly blocked: boolean;
  readonly certificates: readonly KeyCredential[];
  readonly settings: TenantSettings;
  readonly users: readonly MfaUserDefinition[];
}

export const DEFAULT_TENANT_SETTINGS: TenantSettings = {
  sessionLifetimeMs: 180_000,
  promptTimeoutMs: 60_000,
  maxWrongCodes: 3,
  tokenLifetimeMs: 3_600_000,
  smsCodeLength: 6,
  otpWindowSteps: 1,
  seed: 1,
  disabledMethods: [],
};

/** Hex with the separators certificate tools print (spaces, colons) removed, upper case. */
export function normaliseThumbprint(text: string): string {
  return text.replace(/[\s:]/g, '').toUpperCase();
}

/** The loose E.164 shape: "+", country code, subscriber number; spaces, dashes, dots, brackets ignored. */
export function isValidPhoneNumber(phone: string): boolean {
  return /^\+[1-9]\d{6,14}$/.test(phone.replace(/[\s\-.()]/g, ''));
}

function str(
  input: PlainObject,
  key: string,
  path: string,
  c: IssueCollector,
  fix: string,
): string | undefined {
  const value = input[key];
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  c.add(
    `${path}.${key}`,
    value === undefined ? 'is missing' : `must be a non-empty string, got ${describeValue(value)}`,
    fix,
  );
  return undefined;
}

function optionalStr(input: PlainObject, key: string, path: string, c: IssueCollector): string | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  c.add(`${path}.${key}`, 'expected a non-empty string', `remove ${key} or give it a value`);
  return undefined;
}

function bool(input: PlainObject, key: string, fallback: boolean, path: string, c: IssueCollector): boolean {
  const value = input[key];
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  c.add(`${path}.${key}`, `expected true or false, got ${JSON.stringify(value)}`, 'write true or false');
  return fallback;
}

function integer(
  input: PlainObject,
  key: string,
  fallback: number,
  range: readonly [number, number],
  path: string,
  c: IssueCollector,
): number {
  const value = input[key];
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= range[0] && value <= range[1])
    return value;
  c.add(
    `${path}.${key}`,
    `expected an integer in ${range[0]}..${range[1]}, got ${JSON.stringify(value)}`,
    `use a value such as ${fallback} (the default)`,
  );
  return fallback;
}

function durationSetting(
  input: PlainObject,
  key: string,
  fallback: number,
  path: string,
  c: IssueCollector,
): number {
  const value = input[key];
  if (value === undefined) return fallback;
  const ms = parseDurationMs(value, `${path}.${key}`, c.issues);
  if (ms === undefined) return fallback;
  if (ms <= 0) {
    c.add(`${path}.${key}`, 'must be longer than 0', `use a positive duration`);
    return fallback;
  }
  return ms;
}

function parseSettings(input: unknown, c: IssueCollector): TenantSettings {
  const d = DEFAULT_TENANT_SETTINGS;
  if (input === undefined) return d;
  if (!isPlainObject(input)) {
    c.add('settings', 'expected a mapping', 'write settings: { sessionLifetime: 3m, ... }');
    return d;
  }
  const known = [
    'sessionLifetime',
    'promptTimeout',
    'maxWrongCodes',
    'tokenLifetime',
    'smsCodeLength',
    'otpWindowSteps',
    'seed',
    'disabledMethods',
  ];
  c.knownKeys(input, 'settings', known);
  const settings: TenantSettings = {
    sessionLifetimeMs: durationSetting(input, 'sessionLifetime', d.sessionLifetimeMs, 'settings', c),
    promptTimeoutMs: durationSetting(input, 'promptTimeout', d.promptTimeoutMs, 'settings', c),
    maxWrongCodes: integer(input, 'maxWrongCodes', d.maxWrongCodes, [1, 100], 'settings', c),
    tokenLifetimeMs: durationSetting(input, 'tokenLifetime', d.tokenLifetimeMs, 'settings', c),
    smsCodeLength: integer(input, 'smsCodeLength', d.smsCodeLength, [4, 10], 'settings', c),
    otpWindowSteps: integer(input, 'otpWindowSteps', d.otpWindowSteps, [0, 10], 'settings', c),
    seed: integer(input, 'seed', d.seed, [0, 2 ** 32 - 1], 'settings', c),
    disabledMethods: parseMethods(input['disabledMethods'], 'settings.disabledMethods', c),
  };
  if (settings.promptTimeoutMs > settings.sessionLifetimeMs) {
    c.add(
      'settings.promptTimeout',
      `longer than the session lifetime (${settings.sessionLifetimeMs} ms)`,
      'make promptTimeout at most sessionLifetime',
    );
  }
  return settings;
}

function parseTimestamp(input: unknown, path: string, c: IssueCollector): number | undefined {
  if (input === undefined) return undefined;
  if (typeof input === 'number' && Number.isFinite(input)) return input;
  if (input instanceof Date) return input.getTime();
  if (typeof input === 'string' && !Number.isNaN(Date.parse(input))) return Date.parse(input);
  c.add(
    path,
    `not a timestamp: ${JSON.stringify(input)}`,
    'write an ISO 8601 date such as 2030-01-01T00:00:00Z',
  );
  return undefined;
}

/** Registers a PEM certificate as a KeyCredential; its dates unless others are given. */
export function keyCredentialFromPem(
  pem: string,
  options: { readonly startDate?: number; readonly endDate?: number; readonly description?: string } = {},
): KeyCredential {
  const certificate = new X509Certificate(pem);
  const info = certificateInfo(certificate);
  return {
    thumbprint: info.thumbprint,
    thumbprintSha256: info.thumbprintSha256,
    subject: info.subject,
    publicKey: certificate.publicKey,
    startDate: options.startDate ?? info.notBefore,
    endDate: options.endDate ?? info.notAfter,
    ...(options.description !== undefined ? { description: options.description } : {}),
  };
}

/** The tenant with more certificates registered (the setup script's "associates the public key"). */
export function withKeyCredentials(
  tenant: TenantDefinition,
  credentials: readonly KeyCredential[],
): TenantDefinition {
  return { ...tenant, certificates: [...tenant.certificates, ...credentials] };
}

const CERTIFICATE_FIX =
  'register the certificate itself: certificates: [{ certificate: "-----BEGIN CERTIFICATE-----...", endDate: 2030-01-01 }] or { file: client.pem } (radmfa cert new does it)';

function certificatePem(
  entry: PlainObject,
  at: string,
  c: IssueCollector,
  baseDir: string,
): string | undefined {
  const inline = entry['certificate'];
  const file = entry['file'];
  if (typeof inline === 'string' && file === undefined) return inline;
  if (typeof file === 'string' && inline === undefined) {
    try {
      return readFileSync(resolve(baseDir, file), 'utf8');
    } catch (error) {
      c.add(
        `${at}.file`,
        `cannot read ${file}: ${(error as Error).message}`,
        'give the path of a PEM certificate, relative to the tenant file',
      );
      return undefined;
    }
  }
  c.add(
    at,
    entry['thumbprint'] !== undefined && inline === undefined && file === undefined
      ? 'a thumbprint alone cannot verify a signature'
      : 'needs exactly one of certificate (PEM text) or file',
    CERTIFICATE_FIX,
  );
  return undefined;
}

function parseCertificates(input: unknown, c: IssueCollector, baseDir: string): KeyCredential[] {
  const path = 'tenant.certificates';
  // None is allowed: every token is then refused, until one is registered (the embedded default
  // registers the certificate it generates at start-up).
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) {
    c.add(path, 'expected a list', CERTIFICATE_FIX);
    return [];
  }
  const certificates: KeyCredential[] = [];
  input.forEach((entry: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isPlainObject(entry)) {
      c.add(at, 'expected a mapping', CERTIFICATE_FIX);
      return;
    }
    c.knownKeys(entry, at, ['certificate', 'file', 'startDate', 'endDate', 'description', 'thumbprint']);
    const startDate = parseTimestamp(entry['startDate'], `${at}.startDate`, c);
    const endDate = parseTimestamp(entry['endDate'], `${at}.endDate`, c);
    const description = optionalStr(entry, 'description', at, c);
    const pem = certificatePem(entry, at, c, baseDir);
    if (pem === undefined) return;
    let credential: KeyCredential;
    try {
      credential = keyCredentialFromPem(pem, {
        ...(startDate !== undefined ? { startDate } : {}),
        ...(endDate !== undefined ? { endDate } : {}),
        ...(description !== undefined ? { description } : {}),
      });
    } catch (error) {
      c.add(at, `not a PEM certificate: ${(error as Error).message}`, CERTIFICATE_FIX);
      return;
    }
    const stated = entry['thumbprint'];
    if (typeof stated === 'string' && normaliseThumbprint(stated) !== credential.thumbprint) {
      c.add(
        `${at}.thumbprint`,
        `does not match the certificate (${credential.thumbprint})`,
        'remove thumbprint or correct it',
      );
      return;
    }
    if (credential.endDate <= credential.startDate) {
      c.add(`${at}.endDate`, 'is not after startDate', 'give an endDate later than startDate');
      return;
    }
    certificates.push(credential);
  });
  return certificates;
}

const OTP_ALGORITHMS: readonly OtpAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];

function parseOtp(
  input: unknown,
  path: string,
  c: IssueCollector,
  withSerial: boolean,
): (OtpDefinition & { readonly serial?: string }) | undefined {
  const fix = withSerial
    ? 'write oathToken: { serial: "T-1", secret: <base32>, algorithm: SHA1, digits: 6, period: 30 }'
    : 'write totp: { secret: <base32>, algorithm: SHA1, digits: 6, period: 30 }';
  if (!isPlainObject(input)) {
    c.add(path, 'expected a mapping', fix);
    return undefined;
  }
  const known = withSerial
    ? ['serial', 'secret', 'algorithm', 'digits', 'period']
    : ['secret', 'algorithm', 'digits', 'period'];
  c.knownKeys(input, path, known);
  const secret = str(input, 'secret', path, c, 'give the base32 secret the authenticator app holds');
  const algorithmInput = input['algorithm'] ?? 'SHA1';
  const algorithm = OTP_ALGORITHMS.find((a) => a === algorithmInput);
  if (algorithm === undefined) {
    c.add(
      `${path}.algorithm`,
      `unknown algorithm ${JSON.stringify(algorithmInput)}`,
      'use SHA1, SHA256 or SHA512',
    );
  }
  const digits = integer(input, 'digits', 6, [6, 8], path, c);
  const periodSeconds = integer(input, 'period', 30, [1, 3600], path, c);
  const serial = withSerial
    ? str(input, 'serial', path, c, 'give the serial number printed on the token')
    : '';
  if (secret === undefined || algorithm === undefined || serial === undefined) return undefined;
  const key = base32Decode(secret);
  if (!key.ok || key.value.length === 0) {
    c.add(
      `${path}.secret`,
      'not RFC 4648 base32',
      'use the letters A-Z and digits 2-7, e.g. JBSWY3DPEHPK3PXP',
    );
    return undefined;
  }
  const otp: OtpDefinition = { secret, key: key.value, algorithm, digits, periodSeconds };
  return withSerial ? { ...otp, serial } : otp;
}

function parseMethods(input: unknown, path: string, c: IssueCollector): MfaMethod[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) {
    c.add(path, 'expected a list', `write methods: [push] using ${MFA_METHODS.join(', ')}`);
    return [];
  }
  const methods: MfaMethod[] = [];
  input.forEach((value: unknown, i) => {
    const method = MFA_METHODS.find((m) => m === value);
    if (method === undefined) {
      c.add(
        `${path}[${i}]`,
        `unknown method ${JSON.stringify(value)}`,
        `use one of ${MFA_METHODS.join(', ')}`,
      );
    } else if (methods.includes(method)) {
      c.add(`${path}[${i}]`, `${method} is listed twice`, 'list each method once');
    } else {
      methods.push(method);
    }
  });
  return methods;
}

const USER_KEYS = [
  'upn',
  'alternateIds',
  'enrolled',
  'methods',
  'defaultMethod',
  'phone',
  'totp',
  'oathToken',
  'behaviour',
  'registeredFor',
];

function parseRegistrations(input: unknown, path: string, c: IssueCollector): Registration[] {
  if (input === undefined) return ['mfa'];
  const valid = Array.isArray(input) && input.length > 0 && input.every((r) => r === 'mfa' || r === 'sspr');
  if (!valid) {
    c.add(path, 'expected [mfa], [sspr] or [mfa, sspr]', 'write registeredFor: [sspr]');
    return ['mfa'];
  }
  return [...new Set(input as Registration[])];
}

function parseUser(input: unknown, path: string, c: IssueCollector): MfaUserDefinition | undefined {
  if (!isPlainObject(input)) {
    c.add(path, 'expected a mapping', 'write - upn: alice@example.test');
    return undefined;
  }
  c.knownKeys(input, path, USER_KEYS);
  const upn = str(input, 'upn', path, c, 'give the user principal name, e.g. alice@radmfa.test');
  if (upn !== undefined && !/^[^@\s]+@[^@\s]+$/.test(upn)) {
    c.add(`${path}.upn`, `"${upn}" is not of the form name@domain`, 'write the UPN as name@domain');
  }
  const alternateIdsInput = input['alternateIds'] ?? [];
  const alternateIds: string[] = [];
  if (
    !Array.isArray(alternateIdsInput) ||
    alternateIdsInput.some((id) => typeof id !== 'string' || id.trim() === '')
  ) {
    c.add(
      `${path}.alternateIds`,
      'expected a list of non-empty strings',
      'write alternateIds: [alice.a@corp.test]',
    );
  } else {
    for (const id of alternateIdsInput as string[]) alternateIds.push(id.trim());
  }
  const methods = parseMethods(input['methods'], `${path}.methods`, c);
  const enrolled = bool(input, 'enrolled', methods.length > 0, path, c);
  if (enrolled && methods.length === 0) {
    c.add(
      `${path}.methods`,
      'an enrolled user needs at least one method',
      'add methods: [push], or set enrolled: false',
    );
  }
  if (!enrolled && methods.length > 0) {
    c.add(`${path}.enrolled`, 'false, yet methods are registered', 'remove methods, or drop enrolled: false');
  }
  let defaultMethod: MfaMethod | undefined;
  const defaultInput = input['defaultMethod'];
  if (defaultInput === undefined) {
    defaultMethod = methods.length === 1 ? methods[0] : undefined;
  } else {
    defaultMethod = methods.find((m) => m === defaultInput);
    if (defaultMethod === undefined) {
      c.add(
        `${path}.defaultMethod`,
        `${JSON.stringify(defaultInput)} is not among the user's methods`,
        `use one of: ${methods.join(', ') || '(register a method first)'}`,
      );
    }
  }
  const phone = optionalStr(input, 'phone', path, c);
  // A badly formatted number is allowed on purpose: it is how InvalidFormat is reproduced.
  if ((methods.includes('sms') || methods.includes('phone_call')) && phone === undefined) {
    c.add(`${path}.phone`, 'sms and phone_call need a phone number', 'add phone: "+15550100001"');
  }
  const totp = input['totp'] === undefined ? undefined : parseOtp(input['totp'], `${path}.totp`, c, false);
  if (methods.includes('app_code') && input['totp'] === undefined) {
    c.add(`${path}.totp`, 'app_code needs the TOTP secret', 'add totp: { secret: JBSWY3DPEHPK3PXP }');
  }
  const token =
    input['oathToken'] === undefined ? undefined : parseOtp(input['oathToken'], `${path}.oathToken`, c, true);
  const oathToken = token === undefined ? undefined : { ...token, serial: token.serial ?? '' };
  if (methods.includes('oath_token') && input['oathToken'] === undefined) {
    c.add(
      `${path}.oathToken`,
      'oath_token needs the token definition',
      'add oathToken: { serial: "T-1", secret: <base32> }',
    );
  }
  const behaviour = parseUserBehaviour(input['behaviour'], `${path}.behaviour`, c.issues);
  const registeredFor = parseRegistrations(input['registeredFor'], `${path}.registeredFor`, c);
  if (upn === undefined) return undefined;
  return {
    upn,
    alternateIds,
    enrolled,
    registeredFor,
    methods,
    ...(defaultMethod === undefined ? {} : { defaultMethod }),
    ...(phone === undefined ? {} : { phone }),
    ...(totp === undefined ? {} : { totp }),
    ...(oathToken === undefined ? {} : { oathToken }),
    behaviour,
  };
}

export type TenantParseResult =
  | { readonly ok: true; readonly tenant: TenantDefinition }
  | { readonly ok: false; readonly issues: readonly Issue[] };

export interface TenantParseOptions {
  /** Where certificate `file:` entries are relative to (the tenant file's directory). */
  readonly baseDir?: string;
}

/** Validates a parsed YAML/JSON document, returning every issue at once. */
export function parseTenant(input: unknown, options: TenantParseOptions = {}): TenantParseResult {
  const c = new IssueCollector();
  if (!isPlainObject(input)) {
    c.add(
      '',
      `must be a mapping with tenant, settings, users, got ${describeValue(input)}`,
      'start the file with tenant: { id: ..., domains: [...] }',
    );
    return { ok: false, issues: c.issues };
  }
  c.knownKeys(input, '', ['tenant', 'settings', 'users']);
  const tenantInput = input['tenant'];
  let id: string | undefined;
  let name = '';
  let domains: string[] = [];
  let blocked = false;
  let certificates: KeyCredential[] = [];
  if (!isPlainObject(tenantInput)) {
    c.add(
      'tenant',
      'missing or not a mapping',
      'add tenant: { id: <tenant id>, domains: [...], certificates: [...] }',
    );
  } else {
    c.knownKeys(tenantInput, 'tenant', ['id', 'name', 'domains', 'blocked', 'certificates']);
    id = str(
      tenantInput,
      'id',
      'tenant',
      c,
      'give the tenant id (a GUID, as the NPS extension setup script asks for)',
    );
    name = optionalStr(tenantInput, 'name', 'tenant', c) ?? id ?? '';
    blocked = bool(tenantInput, 'blocked', false, 'tenant', c);
    const domainsInput = tenantInput['domains'];
    if (
      !Array.isArray(domainsInput) ||
      domainsInput.length === 0 ||
      domainsInput.some((d) => typeof d !== 'string' || d.trim() === '')
    ) {
      c.add('tenant.domains', 'expected a non-empty list of domain names', 'write domains: [radmfa.test]');
    } else {
      domains = (domainsInput as string[]).map((d) => d.trim().toLowerCase());
    }
    certificates = parseCertificates(tenantInput['certificates'], c, options.baseDir ?? process.cwd());
  }
  const settings = parseSettings(input['settings'], c);
  const usersInput = input['users'] ?? [];
  const users: MfaUserDefinition[] = [];
  if (!Array.isArray(usersInput)) {
    c.add('users', 'expected a list', 'write users: [ { upn: alice@radmfa.test, methods: [push] } ]');
  } else {
    const seen = new Map<string, string>();
    usersInput.forEach((entry: unknown, i) => {
      const user = parseUser(entry, `users[${i}]`, c);
      if (user === undefined) return;
      for (const identifier of [user.upn, ...user.alternateIds]) {
        const key = identifier.toLowerCase();
        const earlier = seen.get(key);
        if (earlier !== undefined) {
          c.add(
            `users[${i}]`,
            `identifier "${identifier}" is already used by ${earlier}`,
            'give every user distinct UPNs and alternate ids',
          );
        } else {
          seen.set(key, `users[${i}]`);
        }
      }
      users.push(user);
    });
  }
  if (!c.ok || id === undefined) return { ok: false, issues: c.issues };
  return { ok: true, tenant: { id, name, domains, blocked, certificates, settings, users } };
}

/** Parses YAML text; YAML syntax errors become issues too. */
export function parseTenantYaml(text: string, options: TenantParseOptions = {}): TenantParseResult {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issues: [
        {
          path: '',
          message: `is not valid YAML: ${message}`,
          fix: 'fix the YAML syntax at the position given',
        },
      ],
    };
  }
  return parseTenant(document, options);
}

/** Reads and validates a tenant file; throws MfaMockError listing every issue. */
export async function loadTenantFile(path: string): Promise<TenantDefinition> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new MfaMockError('MFA_TENANT_UNREADABLE', `cannot read tenant file ${path}: ${message}`);
  }
  return tenantOrThrow(parseTenantYaml(text, { baseDir: dirname(path) }), path);
}

export function tenantOrThrow(result: TenantParseResult, source = 'tenant definition'): TenantDefinition {
  if (result.ok) return result.tenant;
  throw new MfaMockError(
    'MFA_TENANT_INVALID',
    `${source} has ${result.issues.length} problem(s):\n${formatIssues(result.issues)}`,
  );
}
