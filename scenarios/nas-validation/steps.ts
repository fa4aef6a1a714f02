// The steps file of `radmfa validate-nas --steps FILE`: what a vendor's lab does to its NAS, in order,
// so the validation reruns in CI. Validated like every radmfa data file: every mistake at once, each
// with its field and fix (exit 104). Steps:
//   - run: [argv...]     a command (the lab's script that logs in through the NAS, radclient, radmfa nas)
//     stdin, timeout, expectExit (a number, or any)
//   - wait: 5s
//   - login: { user, ... } the simulated NAS logs in (a vendor profile, its retry policy, failover)
// Placeholders in run argv and stdin: {host} {authPort} {acctPort} {secondaryPort} {secret} {password}.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { nasProfileNames, retransmissionModes, loginMethods } from '../../simulators/nas/index.ts';
import { isPlainObject, validate, z, type Issue } from '../../runtime/validation/index.ts';
import { probeUserNames } from './probe.ts';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/;

/** "500ms", "2s", "1.5m" or a number of milliseconds. */
export function durationMs(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = DURATION.exec(value.trim());
  const amount = Number(match?.[1] ?? NaN);
  const unit = match?.[2];
  return unit === 'm' ? amount * 60_000 : unit === 's' ? amount * 1000 : amount;
}

const DURATION_FIX = 'write a duration such as 500ms, 5s or 2m (or a number of milliseconds)';
const duration = z
  .union([
    z.number().int().min(0).max(86_400_000).meta({ fix: DURATION_FIX }),
    z.string().refine((v) => DURATION.test(v.trim()), {
      message: 'is not a duration',
      params: { fix: DURATION_FIX },
    }),
  ])
  .meta({ fix: DURATION_FIX });

const runStep = z
  .object({
    run: z.array(z.string().min(1)).min(1).meta({
      fix: 'write run: [program, arg, ...], e.g. run: [radclient, "{host}:{authPort}", auth, "{secret}"]',
    }),
    stdin: z.string().optional(),
    timeout: duration.optional().meta({ description: 'default 5m; the command is killed after it' }),
    expectExit: z
      .union([z.number().int().min(0).max(255), z.literal('any')])
      .optional()
      .meta({ fix: 'write a whole number from 0 to 255, or any', description: 'default any' }),
    label: z.string().optional(),
  })
  .strict();

const policyInput = z
  .object({
    kind: z.enum(['fixed', 'backoff']).optional(),
    timeoutMs: z.number().int().optional(),
    retries: z.number().int().optional(),
    irtMs: z.number().int().optional(),
    mrc: z.number().int().optional(),
    mrtMs: z.number().int().optional(),
    mrdMs: z.number().int().optional(),
    rand: z.number().optional(),
    retransmission: z.enum(retransmissionModes as [string, ...string[]]).optional(),
    failoverAfterTimeouts: z.number().int().optional(),
  })
  .strict();

const loginStep = z
  .object({
    login: z
      .object({
        user: z
          .string()
          .min(1)
          .meta({ fix: `use a probe user: ${probeUserNames.join(', ')}` }),
        method: z.enum(loginMethods as [string, ...string[]]).default('pap'),
        profile: z.enum(nasProfileNames as [string, ...string[]]).optional(),
        policy: policyInput.optional(),
        /** Also send the request to the secondary instance when the primary gives up. */
        failover: z.boolean().default(false),
        /** Address the simulated NAS sends from (a loopback address): one NAS entry per address. */
        from: z.string().optional(),
        nasIdentifier: z.string().optional(),
        callingStationId: z.string().optional(),
        /** Send Status-Server first (RFC 5997). */
        statusServer: z.boolean().default(false),
        /** After an Access-Accept, send Accounting Start and Stop. */
        accounting: z.boolean().default(false),
        /** Start the login and go on with the next step at once (several NASes at the same time). */
        background: z.boolean().default(false),
      })
      .strict(),
    label: z.string().optional(),
  })
  .strict();

const waitStep = z.object({ wait: duration, label: z.string().optional() }).strict();

const step = z.union([runStep, loginStep, waitStep]).meta({
  fix: 'write each step as run: [...], login: { user: ... } or wait: 5s',
});

export const stepsFileSchema = z
  .object({
    description: z.string().optional(),
    steps: z.array(step).min(1).meta({ fix: 'list at least one step under steps:' }),
  })
  .strict();

export type StepsFile = z.output<typeof stepsFileSchema>;
export type Step = StepsFile['steps'][number];
export type RunStep = z.output<typeof runStep>;
export type LoginStep = z.output<typeof loginStep>;

export type StepsResult = { ok: true; file: StepsFile } | { ok: false; issues: readonly Issue[] };

/** Validates a parsed steps document; unknown probe users are reported with the others. */
export function parseSteps(input: unknown): StepsResult {
  const result = validate(stepsFileSchema, input);
  // Read from the raw input, so a wrong user is reported beside the file's other mistakes.
  const rawSteps = isPlainObject(input) && Array.isArray(input.steps) ? (input.steps as unknown[]) : [];
  const issues: Issue[] = result.ok ? [] : [...result.issues];
  rawSteps.forEach((raw, i) => {
    const login = isPlainObject(raw) && isPlainObject(raw.login) ? raw.login : undefined;
    const user = login?.user;
    if (typeof user === 'string' && !probeUserNames.includes(user as never)) {
      issues.push({
        path: `steps[${i}].login.user`,
        message: `"${user}" is not a probe user`,
        fix: `use one of ${probeUserNames.join(', ')}`,
      });
    }
  });
  return issues.length > 0 || !result.ok ? { ok: false, issues } : { ok: true, file: result.value };
}

/** Reads and validates a YAML or JSON steps file; an unreadable file is an issue too. */
export async function loadSteps(path: string): Promise<StepsResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      issues: [
        {
          path: '--steps',
          message: `cannot read ${path}: ${(error as Error).message}`,
          fix: 'give the path of a steps file',
        },
      ],
    };
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    return {
      ok: false,
      issues: [
        {
          path: '--steps',
          message: `is not valid YAML: ${(error as Error).message}`,
          fix: 'fix the YAML syntax at the position given',
        },
      ],
    };
  }
  return parseSteps(document);
}

export interface Placeholders {
  readonly host: string;
  readonly authPort: number;
  readonly acctPort: number;
  readonly secondaryPort?: number;
  readonly secret: string;
  readonly password: string;
}

/** {name} replaced by its value; unknown names are left as written. */
export function fillPlaceholders(text: string, values: Placeholders): string {
  return text.replace(
    /\{(host|authPort|acctPort|secondaryPort|secret|password)\}/g,
    (whole, name: string) => {
      const value = (values as unknown as Record<string, string | number | undefined>)[name];
      return value === undefined ? whole : String(value);
    },
  );
}

export function describeStep(s: Step): string {
  if (s.label !== undefined) return s.label;
  if ('run' in s) return `run ${s.run[0] ?? ''}`;
  if ('wait' in s) return `wait ${String(s.wait)}`;
  return `login ${s.login.user} (${s.login.profile ?? 'custom'}${s.login.policy?.retransmission === 'naive' ? ', naive' : ''})`;
}
