// Suite files in, validated cases out. Every file is read and every issue of every file is collected
// before anything runs (field + fix, the file named in each path), so a user fixes all of them in one
// round. Beyond the zod shape, each case's settings are checked with the validators that will use
// them: NAS profiles and policies, typing behaviours, tenant overrides and server overrides.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { normaliseServerConfig } from '../../reference/config/server-config.ts';
import { isPlainObject, validate, type Issue, type Validated } from '../../runtime/validation/index.ts';
import { checkDirectoryFixture } from '../../simulators/ldap/index.ts';
import {
  parseTenant,
  validateFaultSettings,
  type FaultSettings,
  type TenantDefinition,
} from '../../simulators/mfa/index.ts';
import { resolveNasPolicy } from '../../simulators/nas/index.ts';
import { parseCodeBehaviour, type CodeBehaviour } from '../../simulators/users/index.ts';
import { demoDirectoryFixture, demoTenantFixture, embeddedDefaultConfig } from '../embedded/defaults.ts';
import { suiteFile, type Credentials, type SuiteAttribute, type SuiteCase } from './schema.ts';

/** Where bare suite names (`dedupe`) are looked up. */
export const SUITES_DIR = path.resolve(import.meta.dirname);

type Topology = NonNullable<SuiteCase['topology']>;
type NasSettings = NonNullable<SuiteCase['nas']>;

/** A case with the suite's defaults merged in and its settings resolved for the engine. */
export interface LoadedCase extends SuiteCase {
  readonly suite: string;
  readonly topology: Topology;
  readonly nas: NasSettings;
  /** What `${user}` and `${password}` stand for on embedded targets (the suite's defaults.credentials). */
  readonly credentials?: Credentials;
  readonly resolved: {
    /** The server config input (embedded default + overrides), before listen/accounting are set per stack. */
    readonly serverConfig: Readonly<Record<string, unknown>>;
    /** Absolute path of the directory fixture. */
    readonly directoryFixture: string;
    /** The tenant with the case's overrides; undefined means the demo tenant as is. */
    readonly tenant?: TenantDefinition;
    /** Faults the MFA mock injects from the case's start (topology.mfaFaults), checked. */
    readonly mfaFaults?: FaultSettings;
    /** Typing behaviour of each login step, by step index. */
    readonly typing: ReadonlyMap<number, CodeBehaviour>;
    /** A key saying which cases may share one stack (same server, directory and tenant). */
    readonly topologyKey: string;
  };
}

export interface LoadedSuite {
  readonly name: string;
  readonly description: string;
  /** As given or resolved, relative to the working directory. */
  readonly file: string;
  readonly cases: readonly LoadedCase[];
}

/** Any of the issue shapes the older validators still produce (`field` or `path`, fix optional). */
interface LooseIssue {
  readonly path?: string;
  readonly field?: string;
  readonly message: string;
  readonly fix?: string;
}

function asIssue(raw: LooseIssue, prefix: string): Issue {
  const inner = raw.path ?? raw.field ?? '';
  const cleaned = inner === '(root)' || inner === '(top level)' || inner === '(file)' ? '' : inner;
  const joined =
    prefix === ''
      ? cleaned
      : cleaned === ''
        ? prefix
        : cleaned.startsWith('[')
          ? `${prefix}${cleaned}`
          : `${prefix}.${cleaned}`;
  return { path: joined, message: raw.message, fix: raw.fix ?? 'see the message' };
}

/** `dedupe` -> scenarios/suites/dedupe.yaml; anything with a slash or an extension is a path. */
export function suitePath(nameOrPath: string): string {
  if (/[\\/]/.test(nameOrPath) || /\.(ya?ml|json)$/i.test(nameOrPath)) return path.resolve(nameOrPath);
  return path.join(SUITES_DIR, `${nameOrPath}.yaml`);
}

/** Mappings merge key by key (recursively); anything else in `over` replaces what is in `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value);
  return out;
}

function withFilePrefix(issues: readonly Issue[], file: string): Issue[] {
  return issues.map((issue) => ({ ...issue, path: issue.path === '' ? file : `${file}:${issue.path}` }));
}

let demoTenantInput: unknown;
function demoTenantDocument(): unknown {
  demoTenantInput ??= parseYaml(readFileSync(demoTenantFixture, 'utf8'));
  return demoTenantInput;
}

/**
 * The demo tenant document with `overrides` merged into the users they name (by UPN or its local
 * part) and `settings` merged over its settings.
 */
function tenantWithOverrides(
  overrides: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  settings: Readonly<Record<string, unknown>> | undefined,
): {
  document: unknown;
  indexOf: Map<number, string>;
} {
  const document = structuredClone(demoTenantDocument()) as Record<string, unknown>;
  if (settings !== undefined) document.settings = deepMerge(document.settings ?? {}, settings);
  const users = Array.isArray(document.users) ? (document.users as Record<string, unknown>[]) : [];
  const domains = (document.tenant as { domains?: string[] } | undefined)?.domains ?? ['radmfa.test'];
  const indexOf = new Map<number, string>();
  for (const [name, override] of Object.entries(overrides)) {
    const wanted = name.toLowerCase();
    const index = users.findIndex((u) => {
      const upn = typeof u.upn === 'string' ? u.upn.toLowerCase() : '';
      return upn === wanted || upn.split('@')[0] === wanted;
    });
    if (index >= 0) {
      users[index] = { ...users[index], ...override };
      indexOf.set(index, name);
    } else {
      const upn = name.includes('@') ? name : `${name}@${domains[0] ?? 'radmfa.test'}`;
      users.push({ upn, ...override });
      indexOf.set(users.length - 1, name);
    }
  }
  document.users = users;
  return { document, indexOf };
}

function checkTenant(topology: Topology, at: string, issues: Issue[]): TenantDefinition | undefined {
  if (topology.tenantUsers === undefined && topology.tenantSettings === undefined) return undefined;
  const { document, indexOf } = tenantWithOverrides(topology.tenantUsers ?? {}, topology.tenantSettings);
  const result = parseTenant(document, { baseDir: path.dirname(demoTenantFixture) });
  if (result.ok) return result.tenant;
  for (const issue of result.issues) {
    if (issue.path.startsWith('settings')) {
      // settings.promptTimeout -> topology.tenantSettings.promptTimeout
      issues.push(
        asIssue(
          { ...issue, path: issue.path.slice('settings'.length).replace(/^\./, '') },
          `${at}.tenantSettings`,
        ),
      );
      continue;
    }
    // users[3].behaviour... -> topology.tenantUsers.alice.behaviour...
    const match = /^users\[(\d+)\](.*)$/.exec(issue.path);
    const name = match === null ? undefined : indexOf.get(Number(match[1]));
    if (match !== null && name !== undefined) {
      issues.push(asIssue({ ...issue, path: `${name}${match[2] ?? ''}` }, `${at}.tenantUsers`));
    } else {
      issues.push(asIssue(issue, `${at}.tenantUsers`));
    }
  }
  return undefined;
}

function serverInput(topology: Topology): Record<string, unknown> {
  return deepMerge(embeddedDefaultConfig(), topology.server ?? {}) as Record<string, unknown>;
}

function checkServer(topology: Topology, at: string, issues: Issue[]): void {
  if (topology.server === undefined) return;
  const result = normaliseServerConfig({
    ...serverInput(topology),
    // The engine sets where the stack listens and stores; an override may still name them.
    accounting: { path: ':memory:' },
    admin: null,
  });
  if (!result.ok) for (const issue of result.issues) issues.push(asIssue(issue, `${at}.server`));
}

function checkNas(nas: NasSettings, at: string, issues: Issue[]): void {
  if (nas.profile === undefined && nas.policy === undefined) return;
  const resolved = resolveNasPolicy(nas.profile ?? 'nps-recommended', nas.policy);
  if (resolved.ok) return;
  for (const issue of resolved.issues) {
    const field = (issue as LooseIssue).field ?? (issue as LooseIssue).path ?? '';
    issues.push(
      asIssue(
        { ...issue, path: field === 'profile' ? '' : field },
        field === 'profile' ? `${at}.profile` : `${at}.policy`,
      ),
    );
  }
}

function checkDirectory(file: string, topology: Topology, at: string, issues: Issue[]): string {
  if (topology.directory === undefined) return demoDirectoryFixture;
  const resolved = path.resolve(path.dirname(file), topology.directory);
  if (!existsSync(resolved)) {
    issues.push({
      path: `${at}.directory`,
      message: `names ${resolved}, which does not exist`,
      fix: 'give a directory fixture path relative to the suite file',
    });
    return resolved;
  }
  try {
    const check = checkDirectoryFixture(parseYaml(readFileSync(resolved, 'utf8')));
    if (!check.ok) {
      for (const issue of check.issues) {
        issues.push({
          path: `${at}.directory`,
          message: `${topology.directory}: ${issue.path}: ${issue.message}`,
          fix: 'correct the directory fixture',
        });
      }
    }
  } catch (error) {
    issues.push({
      path: `${at}.directory`,
      message: `cannot read ${resolved}: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'give a readable YAML directory fixture',
    });
  }
  return resolved;
}

function checkFaults(topology: Topology, at: string, issues: Issue[]): FaultSettings | undefined {
  if (topology.mfaFaults === undefined) return undefined;
  const checked = validateFaultSettings(topology.mfaFaults);
  if (checked.ok) return checked.settings;
  for (const issue of checked.issues) issues.push(asIssue(issue, `${at}.mfaFaults`));
  return undefined;
}

/** Where a case writes `${user}` or `${password}` (login user and password, attribute values). */
function placeholderPlaces(c: SuiteCase, nas: NasSettings): string[] {
  const uses = (text: unknown): boolean => typeof text === 'string' && /\$\{(user|password)\}/.test(text);
  const places: string[] = [];
  (nas.attributes ?? []).forEach((a, i) => {
    if (uses(a.value)) places.push(`nas.attributes[${i}].value`);
  });
  c.steps.forEach((s, i) => {
    if ((s.kind === 'login' || s.kind === 'accounting') && uses(s.user)) places.push(`steps[${i}].user`);
    if (s.kind === 'login' && uses(s.password)) places.push(`steps[${i}].password`);
    const attributes: readonly SuiteAttribute[] = 'attributes' in s ? (s.attributes ?? []) : [];
    attributes.forEach((a, j) => {
      if (uses(a.value)) places.push(`steps[${i}].attributes[${j}].value`);
    });
  });
  return places;
}

/** `${user}`/`${password}` need credentials wherever the case can run on an embedded target. */
function checkPlaceholders(
  c: SuiteCase,
  nas: NasSettings,
  credentials: Credentials | undefined,
  at: string,
  issues: Issue[],
): void {
  // A case for external targets only gets them from --user/--password.
  const embedded = (c.targets ?? ['embedded-virtual']).some((t) => t !== 'external');
  if (credentials !== undefined || !embedded) return;
  for (const place of placeholderPlaces(c, nas)) {
    issues.push({
      path: `${at}.${place}`,
      message:
        'uses ${user} or ${password} on an embedded target, but the suite sets no defaults.credentials',
      fix: 'add defaults: { credentials: { user: ..., password: ... } } to the suite, or run the case on external only',
    });
  }
}

/** NAS attributes go on the first request of every login: there is no reply yet to take one from. */
function checkNasAttributes(nas: NasSettings, at: string, issues: Issue[]): void {
  (nas.attributes ?? []).forEach((a, i) => {
    if (a.fromReply !== undefined) {
      issues.push({
        path: `${at}.nas.attributes[${i}].fromReply`,
        message: 'names a step, but NAS attributes are sent before any step has a reply',
        fix: 'put the attribute on the login or packet step that answers that reply',
      });
    }
  });
}

function topologyKey(serverConfig: unknown, directory: string, topology: Topology): string {
  return JSON.stringify([
    serverConfig,
    directory,
    topology.tenantUsers ?? null,
    topology.tenantSettings ?? null,
    // mfaFaults are set when a case starts and cleared when it ends: cases may share a stack.
    topology.network ?? null,
  ]);
}

type ParsedSuite = ReturnType<typeof suiteFile.parse>;

function loadCases(file: string, suite: ParsedSuite, issues: Issue[]): LoadedCase[] {
  return suite.cases.map((c, index) => {
    const at = `cases[${index}]`;
    const topology = deepMerge(suite.defaults?.topology ?? {}, c.topology ?? {}) as Topology;
    const nas = deepMerge(suite.defaults?.nas ?? {}, c.nas ?? {}) as NasSettings;
    const topologyAt =
      c.topology?.server !== undefined ||
      c.topology?.tenantUsers !== undefined ||
      c.topology?.tenantSettings !== undefined ||
      c.topology?.mfaFaults !== undefined
        ? `${at}.topology`
        : 'defaults.topology';
    const credentials = suite.defaults?.credentials;
    checkPlaceholders(c, nas, credentials, at, issues);
    checkNasAttributes(nas, at, issues);
    const mfaFaults = checkFaults(topology, topologyAt, issues);
    checkNas(nas, c.nas !== undefined ? `${at}.nas` : 'defaults.nas', issues);
    checkServer(topology, topologyAt, issues);
    const tenant = checkTenant(topology, topologyAt, issues);
    const directoryFixture = checkDirectory(file, topology, topologyAt, issues);
    const typing = new Map<number, CodeBehaviour>();
    c.steps.forEach((step, stepIndex) => {
      if (step.kind !== 'login' || step.typing === undefined) return;
      const raw: Parameters<typeof parseCodeBehaviour>[2] = [];
      const behaviour = parseCodeBehaviour(step.typing, `${at}.steps[${stepIndex}].typing`, raw);
      for (const issue of raw) issues.push(asIssue(issue, ''));
      typing.set(stepIndex, behaviour);
    });
    const serverConfig = serverInput(topology);
    return {
      ...c,
      suite: suite.suite,
      topology,
      nas,
      ...(credentials !== undefined ? { credentials } : {}),
      resolved: {
        serverConfig,
        directoryFixture,
        ...(tenant !== undefined ? { tenant } : {}),
        ...(mfaFaults !== undefined ? { mfaFaults } : {}),
        typing,
        topologyKey: topologyKey(serverConfig, directoryFixture, topology),
      },
    };
  });
}

/** Reads, validates and resolves one suite file; every issue at once, paths prefixed with the file. */
export function loadSuiteFile(filePath: string): Validated<LoadedSuite> {
  const absolute = path.resolve(filePath);
  const shown = path.relative(process.cwd(), absolute) || absolute;
  let document: unknown;
  try {
    document = parseYaml(readFileSync(absolute, 'utf8'));
  } catch (error) {
    const missing = (error as { code?: string }).code === 'ENOENT';
    return {
      ok: false,
      issues: [
        {
          path: shown,
          message: missing
            ? 'no such suite file'
            : `cannot be read as YAML: ${error instanceof Error ? error.message : String(error)}`,
          fix: missing
            ? `name a suite in ${path.relative(process.cwd(), SUITES_DIR) || SUITES_DIR} or give a path`
            : 'fix the YAML syntax at the position given',
        },
      ],
    };
  }
  return loadSuiteDocument(document, absolute, shown);
}

/**
 * Validates and resolves a suite already parsed (property tests build theirs in code). `file` is
 * where relative paths resolve from; `shown` prefixes every issue.
 */
export function loadSuiteDocument(document: unknown, file: string, shown = file): Validated<LoadedSuite> {
  const shape = validate(suiteFile, document);
  if (!shape.ok) return { ok: false, issues: withFilePrefix(shape.issues, shown) };
  const issues: Issue[] = [];
  const cases = loadCases(file, shape.value, issues);
  if (issues.length > 0) return { ok: false, issues: withFilePrefix(dedupeIssues(issues), shown) };
  return {
    ok: true,
    value: { name: shape.value.suite, description: shape.value.description, file: shown, cases },
  };
}

/** A defaults problem is found once per case; report it once. */
function dedupeIssues(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\0${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Loads every named suite; the issues of all of them together when any is wrong. */
export function loadSuites(namesOrPaths: readonly string[]): Validated<LoadedSuite[]> {
  const suites: LoadedSuite[] = [];
  const issues: Issue[] = [];
  for (const name of namesOrPaths) {
    const result = loadSuiteFile(suitePath(name));
    if (result.ok) suites.push(result.value);
    else issues.push(...result.issues);
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: suites };
}

/** Every suite file in scenarios/suites, by name. */
export function bundledSuiteNames(): string[] {
  if (!existsSync(SUITES_DIR)) return [];
  return readdirSync(SUITES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}
