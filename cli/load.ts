// `radmfa load`: run a load profile (or a rate/VU override of it) against the embedded server or a
// RADIUS server you name, gate on thresholds (exit 99), and write results.json, junit.xml,
// series.csv, summary.md and index.html. Execution segments let several processes share one run.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UDP_MODES, type UdpMode } from '../runtime/batch-udp.ts';
import { IssueCollector, ValidationError, formatIssues, type Issue } from '../runtime/validation/index.ts';
import { OPEN_MODEL_COALESCE_US, executeLoad, type LoadTargetSpec } from '../scenarios/load/index.ts';
import { parseDuration, DURATION_FIX } from '../scenarios/load/duration.ts';
import { metricNames } from '../scenarios/load/metrics.ts';
import { parseLoadProfile, type LoadProfile } from '../scenarios/load/profile.ts';
import type { ProgressSnapshot } from '../scenarios/load/runner.ts';
import { planExecutor } from '../scenarios/load/executors.ts';
import {
  FULL_PLAN,
  formatSegment,
  parseSegment,
  parseSequence,
  planSegment,
  type SegmentPlan,
} from '../scenarios/load/segments.ts';
import { parseThreshold } from '../scenarios/load/thresholds.ts';
import { loginMethods } from '../simulators/nas/methods/types.ts';
import { appendStepSummary } from '../reports/summary-markdown.ts';
import { renderLoadMarkdown, renderLoadSummaryText, writeLoadReports } from '../reports/load.ts';
import { defineCommand, type CommandIo } from './command-line.ts';
import { ExitCode } from './exit-codes.ts';

const PROFILE_DIR = resolve(import.meta.dirname, '../scenarios/load/profiles');
export const DEFAULT_PROFILE = 'smoke';
const MAX_VUS = 100_000;

type Document = Record<string, unknown>;

export interface LoadArgs {
  readonly profile: LoadProfile;
  readonly profileSource: string;
  readonly target: LoadTargetSpec;
  readonly segment: SegmentPlan;
  readonly out: string;
}

/** A bundled profile name (smoke, vpn-morning...) or a file path. */
function profilePath(name: string): string | undefined {
  if (existsSync(name)) return name;
  const bundled = resolve(PROFILE_DIR, `${name}.yaml`);
  return existsSync(bundled) ? bundled : undefined;
}

interface SocketFlags {
  readonly udp: UdpMode | undefined;
  readonly udpCoalesceUs: number | undefined;
}

function parseTarget(
  text: string,
  secret: string | undefined,
  acctPort: number | undefined,
  sockets: SocketFlags,
  issues: IssueCollector,
): LoadTargetSpec | undefined {
  if (text === 'embedded' || text === 'embedded-virtual') {
    for (const [flag, value] of [
      ['--udp', sockets.udp],
      ['--udp-coalesce-us', sockets.udpCoalesceUs],
    ] as const) {
      if (value !== undefined)
        issues.add(
          flag,
          `applies to a HOST:PORT target, not ${text}`,
          `drop ${flag}, or give --target HOST:PORT`,
        );
    }
    if (acctPort !== undefined)
      issues.add(
        '--acct-port',
        `applies to a HOST:PORT target, not ${text}`,
        'drop --acct-port, or give --target HOST:PORT',
      );
    if (secret !== undefined)
      issues.add(
        '--secret',
        `applies to a HOST:PORT target, not ${text}`,
        'drop --secret, or give --target HOST:PORT',
      );
    return { kind: text };
  }
  const match = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([0-9.]+):(\d{1,5})$/.exec(text);
  const host = match?.[1];
  const port = Number(match?.[2]);
  if (host === undefined || isIP(host) === 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    issues.add(
      '--target',
      `"${text}" is neither embedded, embedded-virtual nor HOST:PORT`,
      'use embedded, embedded-virtual or an address such as 127.0.0.1:1812 or [::1]:1812',
    );
    return undefined;
  }
  if (secret === undefined) {
    issues.add(
      '--secret',
      `is required with the target ${text}`,
      'give the shared secret the server has for this client',
    );
    return undefined;
  }
  return {
    kind: 'external',
    host,
    port,
    ...(acctPort !== undefined ? { accountingPort: acctPort } : {}),
    secret,
    ...(sockets.udp !== undefined ? { udp: sockets.udp } : {}),
    ...(sockets.udpCoalesceUs !== undefined ? { udpCoalesceUs: sockets.udpCoalesceUs } : {}),
  };
}

interface Overrides {
  readonly rate: number | undefined;
  readonly duration: string | undefined;
  readonly vus: number | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly method: string | undefined;
  readonly credentials: string | undefined;
  readonly users: number | undefined;
  readonly seed: number | undefined;
  readonly threshold: readonly string[];
}

function scenariosOf(doc: Document): Record<string, Record<string, unknown>> {
  const scenarios = doc['scenarios'];
  return typeof scenarios === 'object' && scenarios !== null
    ? (scenarios as Record<string, Record<string, unknown>>)
    : {};
}

function firstDuration(doc: Document): unknown {
  return Object.values(scenariosOf(doc)).find((s) => s['duration'] !== undefined)?.['duration'];
}

/** The command line's flags written into the profile document, so one validation covers both. */
function applyOverrides(doc: Document, flags: Overrides, issues: IssueCollector): Document {
  const out: Document = { ...doc };
  const durationMs = flags.duration === undefined ? undefined : parseDuration(flags.duration);
  if (flags.duration !== undefined && durationMs === undefined) {
    issues.add('--duration', `"${flags.duration}" is not a duration`, DURATION_FIX);
  }
  const duration = durationMs ?? firstDuration(doc) ?? 30_000;
  if (flags.rate !== undefined) {
    const vus = Math.min(MAX_VUS, Math.max(1, flags.vus ?? Math.ceil(flags.rate)));
    out['scenarios'] = {
      default: {
        executor: 'constant-arrival-rate',
        rate: flags.rate,
        timeUnit: 1000,
        duration,
        preAllocatedVUs: vus,
        // Room for every login of the slowest minute: in flight = rate x latency.
        maxVUs: Math.min(MAX_VUS, Math.max(vus, 100, Math.ceil(flags.rate * 60))),
      },
    };
  } else if (flags.vus !== undefined) {
    out['scenarios'] = { default: { executor: 'constant-vus', vus: flags.vus, duration } };
  } else if (durationMs !== undefined) {
    const scenarios: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(scenariosOf(doc))) {
      if (s['executor'] === 'per-vu-iterations') scenarios[name] = { ...s, maxDuration: durationMs };
      else if (s['duration'] !== undefined) scenarios[name] = { ...s, duration: durationMs };
      else {
        issues.add(
          '--duration',
          `scenario ${name} (${String(s['executor'])}) is shaped by its stages`,
          'edit its stages in the profile, or give --rate or --vus to replace the scenarios',
        );
        scenarios[name] = s;
      }
    }
    out['scenarios'] = scenarios;
  }
  if ((flags.user === undefined) !== (flags.password === undefined)) {
    issues.add(
      flags.user === undefined ? '--user' : '--password',
      'is missing while the other half of the credentials is given',
      'give both --user and --password',
    );
  }
  const sources = [
    flags.user !== undefined,
    flags.credentials !== undefined,
    flags.users !== undefined,
  ].filter(Boolean).length;
  if (sources > 1)
    issues.add('--user', '--user, --credentials and --users each name who logs in', 'give one of them');
  if (flags.method !== undefined && flags.user === undefined)
    issues.add('--method', 'applies to --user', 'give --user and --password with it');
  if (flags.user !== undefined && flags.password !== undefined) {
    out['users'] = {
      source: 'single',
      user: flags.user,
      password: flags.password,
      method: flags.method ?? 'pap',
    };
  } else if (flags.credentials !== undefined) {
    out['users'] = { source: 'csv', file: flags.credentials };
  } else if (flags.users !== undefined) {
    out['users'] = { source: 'generated', count: flags.users };
  }
  if (flags.seed !== undefined) out['seed'] = flags.seed;
  if (flags.threshold.length > 0) {
    const thresholds: Record<string, unknown[]> = {};
    const existing = doc['thresholds'];
    if (typeof existing === 'object' && existing !== null) {
      for (const [k, v] of Object.entries(existing))
        thresholds[k] = Array.isArray(v) ? [...(v as unknown[])] : [v];
    }
    for (const text of flags.threshold) {
      const at = text.indexOf(':');
      const metric = at < 0 ? text : text.slice(0, at);
      const expression = at < 0 ? '' : text.slice(at + 1);
      const parsed = parseThreshold(metric, expression);
      if (!parsed.ok) {
        issues.add(
          '--threshold',
          `"${text}": ${parsed.issue.message}`,
          `write METRIC:EXPR, e.g. radius_access_duration:p(95)<200; metrics: ${metricNames.join(', ')}`,
        );
        continue;
      }
      (thresholds[metric] ??= []).push(expression);
    }
    out['thresholds'] = thresholds;
  }
  return out;
}

async function readDocument(path: string, issues: IssueCollector): Promise<Document | undefined> {
  try {
    const parsed: unknown = parseYaml(await readFile(path, 'utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Document;
    issues.add(
      'PROFILE',
      `${path} does not hold a mapping`,
      'write a profile: scenarios, thresholds, users, mix (radmfa schema load)',
    );
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    issues.add(
      'PROFILE',
      `${path} cannot be read as YAML (${detail})`,
      'fix the file, or give another profile',
    );
  }
  return undefined;
}

function segmentOf(
  text: string | undefined,
  sequenceText: string | undefined,
  issues: IssueCollector,
): SegmentPlan {
  if (text === undefined) {
    if (sequenceText !== undefined)
      issues.add('--segment-sequence', 'applies to --segment', 'give --segment FROM:TO with it');
    return FULL_PLAN;
  }
  const found: Issue[] = [];
  const segment = parseSegment(text, '--segment', found);
  const sequence =
    sequenceText === undefined ? undefined : parseSequence(sequenceText, '--segment-sequence', found);
  issues.addAll(found);
  if (segment === undefined || (sequenceText !== undefined && sequence === undefined)) return FULL_PLAN;
  const plan = planSegment(segment, sequence);
  if (plan === undefined) {
    issues.add(
      '--segment',
      `${text} is not one of the segments of ${sequenceText ?? 'the sequence'}`,
      'give a segment whose FROM and TO are neighbours in --segment-sequence',
    );
    return FULL_PLAN;
  }
  return plan;
}

function progressLine(s: ProgressSnapshot): string {
  const of = s.plannedMs > 0 ? `/${(s.plannedMs / 1000).toFixed(0)}s` : '';
  return (
    `[${(s.elapsedMs / 1000).toFixed(0)}s${of}] ${s.iterations} iterations  sent ${s.sentPerSecond}/s  ` +
    `received ${s.receivedPerSecond}/s  p95 ${s.p95Ms.toFixed(0)} ms  in flight ${s.inFlight}  timeouts ${s.timeouts}` +
    (s.failedThresholds > 0 ? `  thresholds failing ${s.failedThresholds}` : '')
  );
}

function progressPrinter(io: CommandIo): ((s: ProgressSnapshot) => void) & { clear(): void } {
  let live = false;
  const print = (s: ProgressSnapshot): void => {
    if (io.tty === true) {
      io.err(`\r\u001b[2K${progressLine(s)}`);
      live = true;
    } else if (Math.round(s.elapsedMs / 1000) % 10 === 0) {
      // In a log, a line every 10 s rather than a line rewritten in place.
      io.err(`${progressLine(s)}\n`);
    }
  };
  return Object.assign(print, {
    clear: () => {
      if (live) io.err('\r\u001b[2K');
      live = false;
    },
  });
}

/** Ctrl-C (or SIGTERM) ends the run as abortOnFail does: in-flight logins are cut, reports written. */
function interruption(io: CommandIo): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return {
    signal: io.signal === undefined ? controller.signal : AbortSignal.any([io.signal, controller.signal]),
    release: () => {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
    },
  };
}

export async function executeLoadCommand(args: LoadArgs, io: CommandIo): Promise<number> {
  const progress = progressPrinter(io);
  const stop = interruption(io);
  let result;
  try {
    result = await executeLoad({
      profile: args.profile,
      target: args.target,
      segment: args.segment,
      onProgress: progress,
      signal: stop.signal,
    });
  } catch (error) {
    progress.clear();
    if (error instanceof ValidationError) {
      io.err(`radmfa load: invalid configuration\n${formatIssues(error.issues)}\n`);
      return ExitCode.InvalidConfig;
    }
    io.err(`radmfa load: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.Failure;
  } finally {
    stop.release();
  }
  progress.clear();
  const files = await writeLoadReports(result, args.out);
  const stepSummary = await appendStepSummary(renderLoadMarkdown(result), process.env);
  io.out(renderLoadSummaryText(result));
  io.err(
    `Reports:\n  ${files.html}  (open in a browser)\n  ${files.results}\n  ${files.junit}\n  ${files.csv}\n  ${files.summary}\n` +
      (stepSummary !== undefined ? `  appended to ${stepSummary} (GITHUB_STEP_SUMMARY)\n` : ''),
  );
  return result.passed ? ExitCode.Ok : ExitCode.ThresholdsFailed;
}

export const loadCommand = defineCommand({
  name: 'load',
  summary: 'load-test a server with a profile (k6 executors, thresholds, segments); write reports',
  description: `Runs PROFILE (a bundled name: smoke (default), vpn-morning, office-vus; or the path of a
profile file, see radmfa schema load) against the target and writes results.json (k6 summary
shape, with HDR histograms for merging), junit.xml (one testcase per threshold), series.csv (per
second), summary.md (also appended to $GITHUB_STEP_SUMMARY) and index.html to --out.

--rate N replaces the profile's scenarios with constant-arrival-rate at N logins/s (open model:
arrivals never wait for replies); --vus N with constant-vus; --duration D sets their length.
--threshold 'METRIC:EXPR' adds a k6 threshold, e.g. 'radius_access_duration:p(95)<200'.
--segment FROM:TO runs that share of the run (k6 execution segments, e.g. 0:1/4); radmfa report
merge adds the segments' results. Targets: embedded (loopback UDP, real time), embedded-virtual
(in memory, virtual time) or HOST:PORT with --secret and --user/--password or --credentials.`,
  positionals: { name: 'PROFILE', help: `a profile file or bundled name (default ${DEFAULT_PROFILE})` },
  flags: {
    target: {
      type: 'string',
      placeholder: 'TARGET',
      default: 'embedded',
      help: 'embedded, embedded-virtual or HOST:PORT',
    },
    secret: { type: 'string', placeholder: 'S', help: 'shared secret for a HOST:PORT target' },
    acctPort: {
      type: 'integer',
      placeholder: 'N',
      min: 1,
      max: 65535,
      help: 'accounting port of a HOST:PORT target (default PORT+1)',
    },
    udp: {
      type: 'choice',
      placeholder: 'MODE',
      choices: UDP_MODES,
      help: 'sockets toward a HOST:PORT target: dgram (default), batch (the sendmmsg/recvmmsg addon, npm run build:native) or auto (the addon when built)',
    },
    udpCoalesceUs: {
      type: 'integer',
      placeholder: 'N',
      min: 0,
      max: 100_000,
      help: `batched sockets only: read replies every N us while they keep coming (default ${OPEN_MODEL_COALESCE_US} when every scenario is an arrival-rate executor, else 0; 0 is off)`,
    },
    user: { type: 'string', placeholder: 'U', help: 'log in as this one user' },
    password: { type: 'string', placeholder: 'P', help: "that user's password" },
    method: {
      type: 'choice',
      placeholder: 'M',
      choices: loginMethods,
      help: "that user's login method (default pap)",
    },
    credentials: {
      type: 'string',
      placeholder: 'FILE',
      help: 'CSV of user,password[,method[,totpSecret]] to log in with',
    },
    users: {
      type: 'integer',
      placeholder: 'N',
      min: 1,
      max: 100_000,
      help: 'generate N users (directory and MFA tenant)',
    },
    rate: {
      type: 'number',
      placeholder: 'N',
      min: 0.001,
      max: 1_000_000,
      help: 'logins per second (constant-arrival-rate)',
    },
    duration: { type: 'string', placeholder: 'D', help: 'how long, e.g. 30s or 1m30s' },
    vus: {
      type: 'integer',
      placeholder: 'N',
      min: 1,
      max: MAX_VUS,
      help: 'looping VUs (constant-vus), or preallocated VUs with --rate',
    },
    threshold: {
      type: 'string',
      placeholder: 'METRIC:EXPR',
      repeatable: true,
      help: 'a k6 threshold on a metric',
    },
    segment: { type: 'string', placeholder: 'FROM:TO', help: 'run this execution segment only, e.g. 0:1/4' },
    segmentSequence: {
      type: 'string',
      placeholder: 'LIST',
      help: 'the segments of the whole run, e.g. 0,1/4,1/2,3/4,1',
    },
    seed: {
      type: 'integer',
      placeholder: 'N',
      min: 0,
      max: 2 ** 31 - 1,
      help: 'seed of every random choice',
    },
    out: { type: 'string', placeholder: 'DIR', default: 'reports/load', help: 'where the reports go' },
  },
  exits: [
    [ExitCode.Ok, 'every threshold passed'],
    [ExitCode.Failure, 'the run could not start (target, users)'],
    [ExitCode.ThresholdsFailed, 'a threshold failed; each is named with its measured value'],
    [ExitCode.InvalidConfig, 'invalid profile or command line; every problem with its field and the fix'],
  ],
  prepare: async ({ values, positionals, issues }): Promise<LoadArgs> => {
    const name = positionals[0] ?? DEFAULT_PROFILE;
    const path = profilePath(name);
    if (path === undefined) {
      issues.add(
        'PROFILE',
        `"${name}" is neither a file nor a bundled profile`,
        'give a profile file, or one of smoke, vpn-morning, office-vus',
      );
    }
    const target = parseTarget(
      values.target ?? 'embedded',
      values.secret,
      values.acctPort,
      { udp: values.udp, udpCoalesceUs: values.udpCoalesceUs },
      issues,
    );
    const segment = segmentOf(values.segment, values.segmentSequence, issues);
    const doc = path === undefined ? undefined : await readDocument(path, issues);
    const overridden =
      doc === undefined
        ? undefined
        : applyOverrides(
            doc,
            {
              rate: values.rate,
              duration: values.duration,
              vus: values.vus,
              user: values.user,
              password: values.password,
              method: values.method,
              credentials: values.credentials,
              users: values.users,
              seed: values.seed,
              threshold: values.threshold ?? [],
            },
            issues,
          );
    const fallback =
      name
        .split('/')
        .pop()
        ?.replace(/\.ya?ml$/, '') ?? 'load';
    const parsed = overridden === undefined ? undefined : parseLoadProfile(overridden, fallback);
    if (parsed !== undefined && !parsed.ok) issues.addAll(parsed.issues);
    const profile = parsed?.ok === true ? parsed.value : undefined;
    if (profile !== undefined) {
      for (const [scenario, config] of Object.entries(profile.scenarios)) {
        const plan = planExecutor(config, segment);
        if (plan.kind === 'arrivals' && plan.maxVUs === 0 && plan.totalArrivals > 0) {
          issues.add(
            '--segment',
            `segment ${formatSegment(segment.segment)} gets none of scenario ${scenario}'s maxVUs, so it would drop every arrival`,
            'raise maxVUs (and preAllocatedVUs) to at least the number of segments',
          );
        }
      }
    }
    if (profile !== undefined && target !== undefined) {
      const source = profile.users.source;
      if (target.kind === 'external' && (source === 'demo' || source === 'generated')) {
        issues.add(
          '--user',
          `a HOST:PORT server does not know radmfa's ${source} users`,
          'give --user U --password P (and --method M), or --credentials FILE',
        );
      }
    }
    return {
      profile: profile as LoadProfile,
      profileSource: path ?? name,
      target: target ?? { kind: 'embedded' },
      segment,
      out: resolve(values.out ?? 'reports/load'),
    };
  },
  run: executeLoadCommand,
});
