// The shared shell of every benchmark script: parse and validate the flags, run, write the JSON
// report, print the table. Benchmarks export their definition so tests can run them with tiny
// counts through the same path the command line takes.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../cli/exit-codes.ts';
import { formatIssues, type Issue } from '../runtime/validation/index.ts';
import {
  describeParams,
  parseParams,
  type ParamSpecs,
  type ParamValues,
  type StringParam,
} from './params.ts';
import { defaultReportPath, makeReport, writeReport, type BenchReport } from './report.ts';

/** The one exit-code table (cli/exit-codes.ts): 104 for every bad setting, 1 for a failed run. */
export const EXIT_INVALID_PARAMS = ExitCode.InvalidConfig;
export const EXIT_FAILURE = ExitCode.Failure;

export const outParam: StringParam = {
  type: 'string',
  default: '',
  description: 'JSON report path (empty: reports/out/bench-<name>.json)',
};

export interface BenchIo {
  /** Progress lines for the operator (stderr on the command line, silent in tests). */
  readonly progress: (line: string) => void;
  /** The human table and notes (stdout on the command line). */
  readonly print: (text: string) => void;
}

export interface BenchDefinition<S extends ParamSpecs, R> {
  readonly name: string;
  readonly summary: string;
  readonly params: S;
  /** Rules that involve several flags at once; single-flag bounds live in the specs. */
  check?(params: ParamValues<S>): Issue[];
  run(params: ParamValues<S>, io: BenchIo): Promise<R>;
  /** True when the results are a failure the exit code must show (a fuzz violation); default never. */
  failed?(results: R): boolean;
  /** The short human summary, ratios included. */
  render(results: R): string;
}

export const consoleIo: BenchIo = {
  progress: (line) => process.stderr.write(`${line}\n`),
  print: (text) => process.stdout.write(`${text}\n`),
};

/** Keeps the printed text and drops progress lines (tests, or callers that render elsewhere). */
export function captureIo(): BenchIo & { readonly printed: string[] } {
  const printed: string[] = [];
  return { printed, progress: () => {}, print: (text) => printed.push(text) };
}

export interface BenchCliOutcome<R> {
  readonly exitCode: number;
  readonly report?: BenchReport<unknown, R>;
  readonly reportPath?: string;
}

/** The whole command: flags in, report file and table out, exit code back. */
export async function runBenchCli<S extends ParamSpecs & { readonly out: StringParam }, R>(
  definition: BenchDefinition<S, R>,
  argv: readonly string[],
  io: BenchIo = consoleIo,
): Promise<BenchCliOutcome<R>> {
  const parsed = parseParams(definition.params, argv, `bench/${definition.name}.ts`);
  const usage = `npx tsx bench/${definition.name}.ts [flags]\n${definition.summary}\n\n${describeParams(definition.params)}`;
  if (!parsed.ok) {
    io.print(`bench ${definition.name}: invalid flags\n${formatIssues(parsed.issues)}\n\n${usage}`);
    return { exitCode: EXIT_INVALID_PARAMS };
  }
  if (parsed.help) {
    io.print(usage);
    return { exitCode: 0 };
  }
  const crossIssues = definition.check?.(parsed.params) ?? [];
  if (crossIssues.length > 0) {
    io.print(`bench ${definition.name}: invalid flags\n${formatIssues(crossIssues)}`);
    return { exitCode: EXIT_INVALID_PARAMS };
  }
  const results = await definition.run(parsed.params, io);
  const report = makeReport(definition.name, parsed.params, results);
  const out = String(parsed.params.out);
  const reportPath = out === '' ? defaultReportPath(definition.name) : resolve(out);
  writeReport(reportPath, report);
  io.print(`${definition.render(results)}\n\nJSON: ${reportPath}`);
  return { exitCode: definition.failed?.(results) === true ? EXIT_FAILURE : 0, report, reportPath };
}

/** True when the module at `moduleUrl` is the script node (or tsx) was asked to run. */
export function isMainModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(resolve(entry)) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Entry point for `tsx bench/<name>.ts`: run, then exit with the outcome's code. */
export function runAsScript<S extends ParamSpecs & { readonly out: StringParam }, R>(
  definition: BenchDefinition<S, R>,
): void {
  runBenchCli(definition, process.argv.slice(2)).then(
    (outcome) => {
      process.exitCode = outcome.exitCode;
    },
    (error: unknown) => {
      process.stderr.write(
        `bench ${definition.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = EXIT_FAILURE;
    },
  );
}
