// `radmfa run`: conformance suites (and the properties) against a target, reports for people and CI.
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import {
  appendStepSummary,
  renderSummaryMarkdown,
  writeReports,
  type ReportFiles,
} from '../reports/index.ts';
import { warningsLine } from '../reports/text.ts';
import type { IssueCollector } from '../runtime/validation/index.ts';
import type { TargetSpec } from '../scenarios/engine/index.ts';
import { jobPassed, runJob, type PropertySelection } from '../scenarios/job.ts';
import { propertyNames } from '../scenarios/properties/index.ts';
import { randomSeed } from '../scenarios/properties/run.ts';
import type { CaseResult, ConformanceResult, PropertyResult } from '../scenarios/result.ts';
import { bundledSuiteNames, loadSuites, type LoadedSuite } from '../scenarios/suites/loader.ts';
import { defineCommand, type CommandIo } from './command-line.ts';
import { ExitCode } from './exit-codes.ts';

/** The positional that selects the property suite rather than a suite file. */
export const PROPERTIES = 'properties';

const EMBEDDED_TARGETS = ['embedded', 'embedded-virtual', 'embedded-udp'] as const;

export interface RunArgs {
  readonly suites: readonly LoadedSuite[];
  readonly target: TargetSpec;
  readonly seed: number;
  readonly grep?: string;
  readonly properties?: PropertySelection;
  readonly reportDir: string;
  /** Said once before the run: what was left out and why (properties on an external target). */
  readonly notes: readonly string[];
}

interface TargetFlags {
  readonly target: string | undefined;
  readonly secret: string | undefined;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly acctPort: number | undefined;
}

/** `127.0.0.1:1812`, `[::1]:1812` or `radius.example.net:1812`. */
function splitHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]\s]+):(\d{1,5})$/.exec(text);
  const host = match?.[1];
  const port = Number(match?.[2]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  if (text.startsWith('[') && isIP(host) !== 6) return undefined;
  return { host, port };
}

/** The target the flags name, or undefined with an issue per problem. */
export function parseTarget(flags: TargetFlags, issues: IssueCollector): TargetSpec | undefined {
  const text = flags.target ?? 'embedded';
  if ((EMBEDDED_TARGETS as readonly string[]).includes(text)) {
    for (const [flag, value] of [
      ['--secret', flags.secret],
      ['--user', flags.user],
      ['--password', flags.password],
      ['--acct-port', flags.acctPort],
    ] as const) {
      if (value !== undefined) {
        issues.add(
          flag,
          `applies to a HOST:PORT target, not ${text}`,
          `drop ${flag}, or give --target HOST:PORT`,
        );
      }
    }
    return text as (typeof EMBEDDED_TARGETS)[number];
  }
  const address = splitHostPort(text);
  if (address === undefined) {
    issues.add(
      '--target',
      `"${text}" is neither an embedded target nor HOST:PORT`,
      `use ${EMBEDDED_TARGETS.join(', ')} or an address such as 127.0.0.1:1812 or [::1]:1812`,
    );
    return undefined;
  }
  if (flags.secret === undefined) {
    issues.add(
      '--secret',
      `is required with the target ${text}`,
      'give the shared secret the server has for this client',
    );
    return undefined;
  }
  if ((flags.user === undefined) !== (flags.password === undefined)) {
    issues.add(
      flags.user === undefined ? '--user' : '--password',
      'is missing while the other half of the credentials is given',
      'give both --user and --password (a user the server accepts), or neither',
    );
  }
  return {
    ...address,
    secret: flags.secret,
    ...(flags.acctPort !== undefined ? { acctPort: flags.acctPort } : {}),
    ...(flags.user !== undefined ? { user: flags.user } : {}),
    ...(flags.password !== undefined ? { password: flags.password } : {}),
  };
}

interface Selection {
  readonly suites: readonly string[];
  readonly properties: boolean;
}

/** No SUITE: every bundled suite and the properties. `properties` among them selects the properties. */
function selectionOf(positionals: readonly string[], propertyFlags: boolean): Selection {
  if (positionals.length === 0) return { suites: bundledSuiteNames(), properties: true };
  return {
    suites: positionals.filter((p) => p !== PROPERTIES),
    properties: propertyFlags || positionals.includes(PROPERTIES),
  };
}

interface PropertyFlags {
  readonly property: readonly string[] | undefined;
  readonly runs: number | undefined;
  readonly path: string | undefined;
  readonly budgetMs: number | undefined;
}

function propertySelection(flags: PropertyFlags): PropertySelection {
  return {
    ...(flags.property !== undefined && flags.property.length > 0 ? { names: flags.property } : {}),
    ...(flags.runs !== undefined ? { runs: flags.runs } : {}),
    ...(flags.path !== undefined ? { path: flags.path } : {}),
    ...(flags.budgetMs !== undefined ? { budgetMs: flags.budgetMs } : {}),
  };
}

function checkPropertyFlags(flags: PropertyFlags, seed: number | undefined, issues: IssueCollector): void {
  for (const name of flags.property ?? []) {
    if (!propertyNames.includes(name)) {
      issues.add('--property', `no property is called "${name}"`, `use one of ${propertyNames.join(', ')}`);
    }
  }
  if (flags.path === undefined) return;
  if (!/^\d+(:\d+)*$/.test(flags.path)) {
    issues.add(
      '--path',
      `"${flags.path}" is not a fast-check path`,
      'give the path a failed property reported, e.g. 12:0:3',
    );
  }
  if (seed === undefined)
    issues.add('--seed', 'is missing while --path is given', 'give the seed reported with that path');
  if (flags.property?.length !== 1) {
    issues.add(
      '--property',
      'a --path replays one property',
      'name the property the path was reported for with --property NAME',
    );
  }
}

const STATUS_WORD = { passed: 'pass', failed: 'FAIL', skipped: 'skip' } as const;

export function formatCaseLine(result: CaseResult): string {
  const reason = result.status === 'passed' || result.reason === undefined ? '' : `: ${result.reason}`;
  const warnings = warningsLine(result);
  return `  ${STATUS_WORD[result.status]}  ${result.suite}/${result.id} [${result.target}] ${result.title}${reason}${warnings === '' ? '' : ` (${warnings})`}`;
}

export function formatPropertyLine(result: PropertyResult): string {
  const replay =
    result.path !== undefined
      ? ` (replay: --seed ${result.seed} --property ${result.name} --path ${result.path})`
      : '';
  const reason = result.status === 'passed' || result.reason === undefined ? '' : `: ${result.reason}`;
  return `  ${STATUS_WORD[result.status]}  properties/${result.name}: ${result.runs} runs, ${result.logins} logins, ${(result.durationMs / 1000).toFixed(1)} s${reason}${replay}`;
}

/**
 * On a terminal one line counts the cases as they end and failures stay on screen; elsewhere (CI
 * logs, pipes) every case gets its own plain line, since a rewritten line is noise in a log file.
 */
export class Progress {
  private readonly counts = { passed: 0, failed: 0, skipped: 0 };
  private live = false;

  constructor(
    private readonly io: CommandIo,
    private readonly total: number | undefined,
  ) {}

  onCase = (result: CaseResult): void => {
    this.counts[result.status]++;
    if (this.io.tty !== true) {
      this.io.err(`${formatCaseLine(result)}\n`);
      return;
    }
    this.clear();
    if (result.status === 'failed') this.io.err(`${formatCaseLine(result)}\n`);
    const done = this.counts.passed + this.counts.failed + this.counts.skipped;
    const of = this.total !== undefined ? `/${this.total}` : '';
    this.io.err(
      `[${done}${of}] ${this.counts.passed} passed, ${this.counts.failed} failed, ${this.counts.skipped} skipped  ${result.suite}/${result.id}`,
    );
    this.live = true;
  };

  onProperty = (result: PropertyResult): void => {
    this.clear();
    this.io.err(`${formatPropertyLine(result)}\n`);
  };

  clear(): void {
    if (this.live) this.io.err('\r\u001b[2K');
    this.live = false;
  }
}

function summaryLine(result: ConformanceResult): string {
  const { total, passed, failed, skipped } = result.summary;
  const props = result.properties ?? [];
  const propertyText =
    props.length > 0
      ? `; properties: ${props.filter((p) => p.status === 'passed').length}/${props.length} passed, ${props.reduce((n, p) => n + p.logins, 0)} generated logins`
      : '';
  return `radmfa run: ${total} cases: ${passed} passed, ${failed} failed, ${skipped} skipped${propertyText} (${(result.durationMs / 1000).toFixed(1)} s, seed ${result.seed})`;
}

/**
 * Wall-clock time per suite and per property. Suites run side by side with each other and with the
 * properties, so these spans overlap; the run's own time is on the summary line.
 */
export function elapsedLines(result: ConformanceResult): string {
  const rows: [string, string, number][] = [
    ...result.suites.map((s): [string, string, number] => [s.name, `${s.summary.total} cases`, s.durationMs]),
    ...(result.properties ?? []).map((p): [string, string, number] => [
      `properties/${p.name}`,
      `${p.logins} logins`,
      p.durationMs,
    ]),
  ];
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map(([name]) => name.length));
  const count = Math.max(...rows.map(([, what]) => what.length));
  const lines = rows.map(
    ([name, what, ms]) =>
      `  ${name.padEnd(width)}  ${what.padStart(count)}  ${`${(ms / 1000).toFixed(1)} s`.padStart(8)}`,
  );
  return `Elapsed (side by side, so the spans overlap):\n${lines.join('\n')}\n`;
}

export function reportLines(files: ReportFiles, stepSummary: string | undefined): string {
  const lines = [
    `  ${files.html}  (open in a browser)`,
    `  ${files.results}`,
    `  ${files.junit}`,
    `  ${files.summary}`,
    ...(stepSummary !== undefined ? [`  appended to ${stepSummary} (GITHUB_STEP_SUMMARY)`] : []),
  ];
  return `Reports:\n${lines.join('\n')}\n`;
}

/** Runs the job, writes every report and says where they are; the exit code is the verdict. */
export async function executeRun(args: RunArgs, io: CommandIo): Promise<number> {
  for (const note of args.notes) io.err(`radmfa run: ${note}\n`);
  const total = args.grep === undefined ? args.suites.reduce((n, s) => n + s.cases.length, 0) : undefined;
  io.err(
    `radmfa run: ${args.suites.length} suite(s)${total !== undefined ? `, ${total} cases` : ''}${args.properties !== undefined ? ', then the properties' : ''}; seed ${args.seed}\n`,
  );
  const progress = new Progress(io, total);
  const result = await runJob({
    suites: args.suites,
    target: args.target,
    seed: args.seed,
    ...(args.grep !== undefined ? { grep: args.grep } : {}),
    ...(args.properties !== undefined ? { properties: args.properties } : {}),
    onCase: progress.onCase,
    onProperty: progress.onProperty,
  });
  progress.clear();
  const files = await writeReports(result, args.reportDir);
  const stepSummary = await appendStepSummary(renderSummaryMarkdown(result), process.env);
  io.out(`${elapsedLines(result)}${summaryLine(result)}\n${reportLines(files, stepSummary)}`);
  return jobPassed(result) ? ExitCode.Ok : ExitCode.Failure;
}

export const runCommand = defineCommand({
  name: 'run',
  summary: 'run conformance suites and properties against a server; write reports',
  description: `Runs each SUITE (a bundled name such as protocol, dedupe, methods, mfa, nas-timeouts,
accounting, or the path of a suite file) against the target, and with "properties" (or no SUITE at
all) the property suite, then writes results.json, junit.xml, summary.md and index.html to the
report directory (summary.md is also appended to $GITHUB_STEP_SUMMARY when that is set).

Targets: embedded (default: each case on its first embedded target), embedded-virtual (in memory,
virtual time), embedded-udp (loopback sockets, real time), or HOST:PORT, a server you name, with
--secret (and --user/--password for cases that need a user the server accepts). Cases a target
cannot run are reported as skipped with the reason. The properties always check the reference
server in virtual time, so they are left out for a HOST:PORT target.`,
  positionals: {
    name: 'SUITE',
    help: `suite names or files, or "${PROPERTIES}"; default: all`,
    repeatable: true,
  },
  flags: {
    target: {
      type: 'string',
      placeholder: 'TARGET',
      default: 'embedded',
      help: 'embedded, embedded-virtual, embedded-udp or HOST:PORT',
    },
    secret: { type: 'string', placeholder: 'S', help: 'shared secret for a HOST:PORT target' },
    user: {
      type: 'string',
      placeholder: 'U',
      help: 'a user the HOST:PORT server accepts (cases that need one)',
    },
    password: { type: 'string', placeholder: 'P', help: "that user's password" },
    acctPort: {
      type: 'integer',
      placeholder: 'N',
      min: 1,
      max: 65535,
      help: 'accounting port of a HOST:PORT target (default PORT+1)',
    },
    reportDir: { type: 'string', placeholder: 'DIR', default: 'reports/out', help: 'where the reports go' },
    seed: {
      type: 'integer',
      placeholder: 'N',
      min: -(2 ** 31),
      max: 2 ** 31 - 1,
      help: 'seed of every random choice (printed by every run, to replay it)',
    },
    grep: { type: 'string', placeholder: 'TEXT', help: 'only cases whose suite/id or title contains TEXT' },
    property: {
      type: 'string',
      placeholder: 'NAME',
      repeatable: true,
      help: `only this property: ${propertyNames.join(', ')}`,
    },
    runs: {
      type: 'integer',
      placeholder: 'N',
      min: 1,
      max: 10_000_000,
      help: "runs per property (default: each property's own, >= 1,000 logins)",
    },
    path: {
      type: 'string',
      placeholder: 'PATH',
      help: 'replay a failed property: its reported path (with --seed and --property)',
    },
    budgetMs: {
      type: 'integer',
      placeholder: 'MS',
      min: 1,
      max: 86_400_000,
      help: 'wall-clock budget per property (default 60000)',
    },
  },
  exits: [
    [ExitCode.Ok, 'every case and property passed (skipped cases are reported, not failures)'],
    [ExitCode.Failure, 'a case or a property failed'],
    [ExitCode.InvalidConfig, 'invalid suite file or command line; each problem with its field and the fix'],
  ],
  prepare: ({ values, positionals, issues }): RunArgs => {
    const target = parseTarget(values, issues);
    const propertyFlags: PropertyFlags = {
      property: values.property,
      runs: values.runs,
      path: values.path,
      budgetMs: values.budgetMs,
    };
    const named = propertyFlags.property !== undefined && propertyFlags.property.length > 0;
    const selection = selectionOf(positionals, named || propertyFlags.path !== undefined);
    checkPropertyFlags(propertyFlags, values.seed, issues);
    const notes: string[] = [];
    const external = target !== undefined && typeof target !== 'string';
    let properties = selection.properties;
    if (external && properties) {
      if (positionals.length === 0)
        notes.push(
          'the properties check the reference server in virtual time; left out for a HOST:PORT target',
        );
      else
        issues.add(
          'SUITE',
          `"${PROPERTIES}" does not run against a HOST:PORT target`,
          'drop it, or run it with an embedded target',
        );
      properties = false;
    }
    const loaded = loadSuites(selection.suites);
    if (!loaded.ok) issues.addAll(loaded.issues);
    return {
      suites: loaded.ok ? loaded.value : [],
      target: target ?? 'embedded',
      seed: values.seed ?? randomSeed(),
      ...(values.grep !== undefined ? { grep: values.grep } : {}),
      ...(properties ? { properties: propertySelection(propertyFlags) } : {}),
      reportDir: resolve(values.reportDir ?? 'reports/out'),
      notes,
    };
  },
  run: executeRun,
});
