// A load profile is a data file (scenarios/load/profiles/*.yaml): executors by scenario name,
// thresholds, who logs in and how (the mix), accounting after accepts, and the NAS profile. Read
// strictly: every wrong field is reported at once with its fix, and the CLI exits 104.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import {
  jsonSchemaOf,
  mergeIssues,
  validate,
  z,
  type Issue,
  type Validated,
} from '../../runtime/validation/index.ts';
import { parseUserBehaviour, type UserBehaviour } from '../../simulators/users/index.ts';
import { loginMethods, type LoginMethod } from '../../simulators/nas/methods/types.ts';
import { nasProfileNames } from '../../simulators/nas/profiles.ts';
import { durationField } from './duration.ts';
import { executorSchema } from './executors.ts';
import { metricNames } from './metrics.ts';
import { parseThreshold } from './thresholds.ts';

/** The largest generated directory and tenant (the issue's 100,000 users). */
export const MAX_GENERATED_USERS = 100_000;

const method = z.enum(loginMethods as [LoginMethod, ...LoginMethod[]]);

export const mfaKinds = ['push', 'totp'] as const;
export type MfaKind = (typeof mfaKinds)[number];

const mixEntry = z
  .object({
    name: z.string().min(1).optional(),
    weight: z.number().positive(),
    method: method.default('pap'),
    /** The second factor the user has: push (approve on the phone) or totp (type an app code). */
    mfa: z.enum(mfaKinds).default('push'),
    /**
     * How these users behave (the tenant file's format): prompt { outcome, after } for push,
     * code { typing, wrongCodeProbability } for TOTP. Generated users get it in the MFA mock.
     */
    behaviour: z.unknown().optional(),
  })
  .strict();

const usersSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('demo') }).strict(),
  z
    .object({
      source: z.literal('generated'),
      count: z.number().int().min(1).max(MAX_GENERATED_USERS),
      /** Password of every generated user (it never reaches a report). */
      password: z.string().min(1).default('Passw0rd!'),
    })
    .strict(),
  z
    .object({
      source: z.literal('single'),
      user: z.string().min(1),
      password: z.string().min(1),
      method: method.default('pap'),
    })
    .strict(),
  z
    .object({
      source: z.literal('csv'),
      /** user,password[,method[,totpSecret]] per line; a header line is allowed. */
      file: z.string().min(1),
    })
    .strict(),
]);

const thresholdEntry = z.union([
  z.string(),
  z
    .object({
      threshold: z.string(),
      abortOnFail: z.boolean().default(false),
      delayAbortEval: durationField.default(0),
    })
    .strict(),
]);

const accountingSchema = z
  .object({
    /** Interim-Updates between Start and Stop. */
    interims: z.number().int().min(0).max(100).default(0),
    /** Time between Start, each Interim-Update and Stop. */
    interval: durationField.default(1000),
  })
  .strict();

export const loadProfileSchema = z
  .object({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    /** Seed of every random choice: which user, which method, how long users take. */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
    scenarios: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), executorSchema),
    thresholds: z.record(z.string(), z.array(thresholdEntry)).default({}),
    users: usersSchema.default({ source: 'generated', count: 1000, password: 'Passw0rd!' }),
    mix: z
      .array(mixEntry)
      .min(1)
      .default([{ weight: 1, method: 'pap', mfa: 'push' }]),
    /** Accounting Start (Interim-Update...) Stop after each accepted login; absent: none. */
    accounting: accountingSchema.optional(),
    nas: z
      .object({
        profile: z.enum(nasProfileNames as [string, ...string[]]).default('rfc5080'),
        maxSockets: z.number().int().min(1).max(256).default(64),
      })
      .strict()
      .default({ profile: 'rfc5080', maxSockets: 64 }),
  })
  .strict();

export type LoadProfileInput = z.input<typeof loadProfileSchema>;
type ParsedProfile = z.output<typeof loadProfileSchema>;

export interface MixClass {
  readonly name: string;
  readonly weight: number;
  readonly method: LoginMethod;
  readonly mfa: MfaKind;
  readonly behaviour: UserBehaviour;
}

export interface ThresholdSpec {
  readonly metric: string;
  readonly expression: string;
  readonly abortOnFail: boolean;
  readonly delayAbortEvalMs: number;
}

export interface LoadProfile extends Omit<ParsedProfile, 'mix' | 'thresholds'> {
  readonly name: string;
  readonly mix: readonly MixClass[];
  readonly thresholds: readonly ThresholdSpec[];
}

export function loadProfileJsonSchema(): Record<string, unknown> {
  return jsonSchemaOf(loadProfileSchema, 'radmfa load profile');
}

/** Methods the NPS extension can run MFA with: MS-CHAPv2 and EAP only phone call and push. */
const PUSH_ONLY: ReadonlySet<string> = new Set(['mschapv2', 'eap-mschapv2', 'eap-md5', 'chap']);

function record(input: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof input === 'object' && input !== null && !Array.isArray(input)
    ? (input as Record<string, unknown>)
    : undefined;
}

/**
 * Checks zod cannot express, run on the raw document so that they are reported together with the
 * structural ones (a wrong threshold and a wrong executor field in one run, not one after the other).
 */
function semanticIssues(input: unknown): Issue[] {
  const issues: Issue[] = [];
  const root = record(input);
  const scenarios = record(root?.['scenarios']);
  if (scenarios !== undefined && Object.keys(scenarios).length === 0) {
    issues.push({
      path: 'scenarios',
      message: 'no scenario is defined',
      fix: 'add one, e.g. scenarios: { logins: { executor: constant-arrival-rate, rate: 50, duration: 30s, preAllocatedVUs: 50 } }',
    });
  }
  const mix = root?.['mix'];
  const names = new Set<string>();
  (Array.isArray(mix) ? mix : []).forEach((raw, i) => {
    const entry = record(raw);
    if (entry === undefined) return;
    const path = `mix[${i}]`;
    const method = typeof entry['method'] === 'string' ? entry['method'] : 'pap';
    if (entry['mfa'] === 'totp' && PUSH_ONLY.has(method)) {
      issues.push({
        path: `${path}.mfa`,
        message: `${method} cannot carry a typed code (the NPS extension offers only push and phone call with it)`,
        fix: 'use mfa: push with this method, or method: pap for TOTP',
      });
    }
    parseUserBehaviour(entry['behaviour'], `${path}.behaviour`, issues);
    const name =
      typeof entry['name'] === 'string'
        ? entry['name']
        : `${method}-${typeof entry['mfa'] === 'string' ? entry['mfa'] : 'push'}`;
    if (names.has(name)) {
      issues.push({
        path: `${path}.name`,
        message: `"${name}" is used twice`,
        fix: 'give each mix entry its own name',
      });
    }
    names.add(name);
  });
  for (const [metric, entries] of Object.entries(record(root?.['thresholds']) ?? {})) {
    if (!(metricNames as readonly string[]).includes(metric)) {
      issues.push({
        path: `thresholds.${metric}`,
        message: `"${metric}" is not a radmfa load metric`,
        fix: `use one of ${metricNames.join(', ')}`,
      });
      continue;
    }
    (Array.isArray(entries) ? entries : []).forEach((entry: unknown, i) => {
      const expression = typeof entry === 'string' ? entry : record(entry)?.['threshold'];
      if (typeof expression !== 'string') return;
      const parsed = parseThreshold(metric, expression);
      if (!parsed.ok) issues.push({ ...parsed.issue, path: `thresholds.${metric}[${i}]` });
    });
  }
  return issues;
}

function normalise(profile: ParsedProfile, fallbackName: string): LoadProfile {
  const mix = profile.mix.map((entry): MixClass => ({
    name: entry.name ?? `${entry.method}-${entry.mfa}`,
    weight: entry.weight,
    method: entry.method,
    mfa: entry.mfa,
    behaviour: parseUserBehaviour(entry.behaviour, 'behaviour', []),
  }));
  const thresholds = Object.entries(profile.thresholds).flatMap(([metric, entries]) =>
    entries.map((entry): ThresholdSpec => ({
      metric,
      expression: typeof entry === 'string' ? entry : entry.threshold,
      abortOnFail: typeof entry === 'string' ? false : entry.abortOnFail,
      delayAbortEvalMs: typeof entry === 'string' ? 0 : entry.delayAbortEval,
    })),
  );
  return { ...profile, name: profile.name ?? fallbackName, mix, thresholds };
}

/** Validates a parsed document: every structural and semantic problem at once. */
export function parseLoadProfile(input: unknown, fallbackName = 'load'): Validated<LoadProfile> {
  const structural = validate(loadProfileSchema, input);
  const issues = mergeIssues(structural.ok ? [] : structural.issues, semanticIssues(input));
  if (!structural.ok || issues.length > 0) return { ok: false, issues };
  return { ok: true, value: normalise(structural.value, fallbackName) };
}

export type ProfileReadResult = Validated<LoadProfile>;

/** Reads and validates a profile file; an unreadable file or bad YAML is an issue too. */
export async function readLoadProfile(path: string): Promise<ProfileReadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issues: [
        {
          path: 'PROFILE',
          message: `cannot read ${path} (${detail})`,
          fix: 'give the path of a profile file',
        },
      ],
    };
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      issues: [{ path: 'PROFILE', message: `${path} is not YAML (${detail})`, fix: 'fix the YAML syntax' }],
    };
  }
  const base =
    path
      .split('/')
      .pop()
      ?.replace(/\.ya?ml$/, '') ?? 'load';
  return parseLoadProfile(document, base);
}
