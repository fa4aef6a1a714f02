/**
 * radmfa's one command-line layer. A command is data: its flags (name, type, default, help text,
 * whether repeatable, choices or bounds), its positional arguments, its exit codes and one handler.
 * The layer parses argv against that declaration, reports every mistake at once as validation
 * Issues (path = the flag, e.g. `--timeout`; message; fix) with exit 104, and renders `--help` from
 * the same declaration, so the help text and the parser cannot drift apart.
 *
 * Adding a command (`run`, `schema`, `load`, `validate-nas`) is a module that declares it and one
 * entry in the table in cli/main.ts, `{ name, summary, load: async () => (await import('./run.ts')).runCommand }`
 * (loaded only when it runs, so `radmfa serve` does not pay for the suite runner's imports):
 *
 *   // cli/run.ts
 *   export const runCommand = defineCommand({
 *     name: 'run',
 *     summary: 'run conformance suites and write reports',
 *     description: 'Runs each SUITE (default: all) against the target ...',
 *     positionals: { name: 'SUITE', help: 'suite names', repeatable: true },
 *     flags: {
 *       target: { type: 'string', placeholder: 'TARGET', default: 'embedded-virtual', help: '...' },
 *       secret: { type: 'string', placeholder: 'S', help: 'shared secret for HOST:PORT' },
 *       seed: { type: 'integer', min: 0, max: 2 ** 31 - 1, help: 'replay a property run' },
 *       grep: { type: 'string', repeatable: true, help: 'only cases whose title contains TEXT' },
 *     },
 *     // Each code the command exits with and what it means here ('' for the table's own words).
 *     exits: [[ExitCode.Ok, 'every case passed'], [ExitCode.Failure, 'a case failed'], [ExitCode.InvalidConfig, '']],
 *     // Optional: cross-flag checks and work whose failure is a usage error (reading a file).
 *     prepare: ({ values, positionals, issues }) => {
 *       if (values.target?.includes(':') && values.secret === undefined)
 *         issues.add('--secret', 'is required with a HOST:PORT target', 'give --secret S');
 *       return { ...values, suites: positionals };
 *     },
 *     run: async (args, io) => { io.out('...\n'); return ExitCode.Ok; },
 *   });
 *
 * - Flag keys are camelCase and written as --kebab-case (`authPort` is `--auth-port`).
 * - Types: `string`, `boolean` (no value), `integer` and `number` (with `min`/`max`), `choice`
 *   (with `choices`). `default` fills an absent flag; `repeatable: true` collects every occurrence
 *   into an array; `required: true` makes absence an issue; `placeholder` names the value in --help.
 * - The handler's values are typed from the declaration (a choice is the union of its choices, a
 *   flag without a default or `required` may be undefined).
 * - `prepare` runs even when a flag was wrong (that flag then reads as undefined), so one run
 *   reports the mistakes of the command line and of a config file together. Whatever it returns is
 *   what `run` gets; without `prepare`, `run` gets the parsed values.
 * - Every issue (flags, prepare) ends the command before `run` with exit 104 and one line per issue
 *   in the validation toolkit's format: `  - --flag: problem. Fix: what to do`.
 * - `-h`/`--help` prints the generated help and exits 0; an unknown command exits 104 with usage.
 * - Output goes through `CommandIo`, so tests run commands in process and read what they print;
 *   `command.parse(argv)` gives a test the handler's arguments without running it.
 * - A stray argument is named by the flag before it, never echoed: it may be a password whose
 *   `--password` was forgotten.
 */
import { IssueCollector, formatIssues, type Issue } from '../runtime/validation/index.ts';
import { ExitCode, exitCodeMeanings, type ExitCodeValue } from './exit-codes.ts';

interface FlagBase {
  readonly help: string;
  /** The value's name in --help (`--server HOST[:PORT]`). Default: the type, upper case. */
  readonly placeholder?: string;
  readonly required?: boolean;
}

export interface StringFlag extends FlagBase {
  readonly type: 'string';
  readonly default?: string;
  readonly repeatable?: boolean;
}

export interface BooleanFlag extends FlagBase {
  readonly type: 'boolean';
}

export interface NumericFlag extends FlagBase {
  readonly type: 'integer' | 'number';
  readonly default?: number;
  readonly min: number;
  readonly max: number;
  readonly repeatable?: boolean;
}

export interface ChoiceFlag<T extends string = string> extends FlagBase {
  readonly type: 'choice';
  readonly choices: readonly T[];
  readonly default?: NoInfer<T>;
  readonly repeatable?: boolean;
}

export type FlagSpec = StringFlag | BooleanFlag | NumericFlag | ChoiceFlag;
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type Scalar<F> =
  F extends ChoiceFlag<infer T>
    ? T
    : F extends NumericFlag
      ? number
      : F extends BooleanFlag
        ? boolean
        : string;

/** The parsed value of one flag, typed from its declaration. */
export type FlagValue<F> = F extends BooleanFlag
  ? boolean
  : F extends { readonly repeatable: true }
    ? Scalar<F>[]
    : F extends { readonly default: unknown } | { readonly required: true }
      ? Scalar<F>
      : Scalar<F> | undefined;

export type FlagValues<S extends FlagSpecs> = { readonly [K in keyof S]: FlagValue<S[K]> };

/** What `prepare` sees: a flag that was wrong or missing reads as undefined. */
export type LooseFlagValues<S extends FlagSpecs> = { readonly [K in keyof S]: FlagValue<S[K]> | undefined };

export interface PositionalSpec {
  readonly name: string;
  readonly help: string;
  readonly repeatable?: boolean;
}

export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  /** Ends a long-running command (serve) as SIGINT/SIGTERM do. */
  readonly signal?: AbortSignal;
  /** Progress goes to a terminal (one line rewritten in place) rather than a log or a pipe. */
  readonly tty?: boolean;
}

export const processIo: CommandIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  tty: process.stderr.isTTY,
};

export interface PrepareInput<S extends FlagSpecs> {
  readonly values: LooseFlagValues<S>;
  readonly positionals: readonly string[];
  /** Add an issue per problem; the command stops before `run` with exit 104 if any were added. */
  readonly issues: IssueCollector;
}

export interface CommandSpec<S extends FlagSpecs, A> {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Paragraphs after the usage line in --help. */
  readonly description: string;
  readonly flags: S;
  readonly positionals?: PositionalSpec;
  /** The codes this command exits with and what each means for it ('' for exitCodeMeanings' words). */
  readonly exits: readonly (readonly [ExitCodeValue, string])[];
  readonly prepare?: (input: PrepareInput<S>) => A | Promise<A>;
  readonly run: (args: A, io: CommandIo) => Promise<number>;
}

/** A declared command with its types erased, for the table in cli/main.ts. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  help(): string;
  execute(argv: readonly string[], io: CommandIo): Promise<number>;
}

/** What a command's argv comes to before `run`: its arguments, or every issue. */
export type PreparedCommandLine<A> =
  | { readonly help: true }
  | { readonly help: false; readonly ok: true; readonly args: A }
  | { readonly help: false; readonly ok: false; readonly issues: readonly Issue[] };

/** A declared command that keeps its types: `parse` gives a test the handler's arguments. */
export interface DeclaredCommand<A> extends Command {
  parse(argv: readonly string[]): Promise<PreparedCommandLine<A>>;
}

export function defineCommand<const S extends FlagSpecs, A = FlagValues<S>>(
  spec: CommandSpec<S, A>,
): DeclaredCommand<A> {
  return {
    name: spec.name,
    summary: spec.summary,
    usage: usageLine(spec),
    help: () => renderHelp(spec),
    parse: (argv) => prepareCommandLine(spec, argv),
    execute: (argv, io) => executeCommand(spec, argv, io),
  };
}

/** `authPort` is written `--auth-port`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`;
}

export interface ParsedCommandLine<S extends FlagSpecs> {
  readonly values: LooseFlagValues<S>;
  readonly positionals: readonly string[];
  readonly help: boolean;
  readonly issues: readonly Issue[];
}

function placeholderOf(spec: FlagSpec): string {
  if (spec.placeholder !== undefined) return spec.placeholder;
  switch (spec.type) {
    case 'boolean':
      return '';
    case 'choice':
      return spec.choices.join('|');
    case 'integer':
      return 'N';
    default:
      return spec.type.toUpperCase();
  }
}

function closest(name: string, known: readonly string[]): string | undefined {
  // A typo is usually a prefix or a one-letter slip; suggest only what is plausibly meant.
  const bare = name.replace(/^-+/, '');
  return known.find((k) => {
    const candidate = k.slice(2);
    return candidate.startsWith(bare) || bare.startsWith(candidate) || editDistanceAtMostOne(bare, candidate);
  });
}

function editDistanceAtMostOne(a: string, b: string): boolean {
  if (a.length === b.length) {
    const differ = [...a].flatMap((ch, i) => (ch === b[i] ? [] : [i]));
    // Two neighbours swapped (--statsu for --status) count as one slip.
    const [i, j] = differ;
    if (differ.length === 2 && i !== undefined && j === i + 1 && a[i] === b[j] && a[j] === b[i]) return true;
  }
  if (Math.abs(a.length - b.length) > 1 || a === b) return a === b;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (b.length > a.length) j++;
    else {
      i++;
      j++;
    }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}

/** One flag's text to its value, or an issue. */
function convert(flag: string, spec: FlagSpec, text: string, issues: IssueCollector): unknown {
  switch (spec.type) {
    case 'boolean':
      return true;
    case 'string':
      if (text === '') {
        issues.add(flag, 'is empty', `give ${flag} ${placeholderOf(spec)}`);
        return undefined;
      }
      return text;
    case 'choice':
      if (spec.choices.includes(text)) return text;
      issues.add(flag, `"${text}" is not a value it takes`, `use one of ${spec.choices.join(', ')}`);
      return undefined;
    case 'integer':
    case 'number': {
      const value = Number(text);
      const integer = spec.type === 'integer';
      if (
        text.trim() === '' ||
        !Number.isFinite(value) ||
        (integer && !Number.isInteger(value)) ||
        value < spec.min ||
        value > spec.max
      ) {
        const kind = integer ? 'a whole number' : 'a number';
        issues.add(
          flag,
          `"${text}" is not ${kind} from ${spec.min} to ${spec.max}`,
          `give ${flag} ${kind} from ${spec.min} to ${spec.max}` +
            (spec.default !== undefined ? ` (default ${spec.default})` : ''),
        );
        return undefined;
      }
      return value;
    }
  }
}

/**
 * Parses argv against the declared flags. Never throws and never stops at the first problem: an
 * unknown flag, a missing or bad value, a flag given twice, a missing required flag and a stray
 * argument are each one issue.
 */
export function parseCommandLine<S extends FlagSpecs>(
  command: string,
  flags: S,
  argv: readonly string[],
  positionalSpec?: PositionalSpec,
  /** How the user runs it, for messages and fixes; default `radmfa COMMAND` (benchmarks: `npx tsx bench/x.ts`). */
  program = `radmfa ${command}`,
): ParsedCommandLine<S> {
  const issues = new IssueCollector();
  const byFlag = new Map(Object.entries(flags).map(([key, spec]) => [flagName(key), { key, spec }]));
  const values: Record<string, unknown> = {};
  const seen = new Set<string>();
  const positionals: string[] = [];
  let help = false;
  // Where each stray argument stood: it is named by the flag before it, never echoed, because a
  // forgotten `--password` leaves the password itself as the stray.
  const strays: (string | undefined)[] = [];
  let lastFlag: string | undefined;
  const helpFix = `see ${program} --help`;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token === '-h' || token === '--help') {
      help = true;
      continue;
    }
    if (!token.startsWith('-') || token === '-') {
      positionals.push(token);
      strays.push(lastFlag);
      continue;
    }
    const eq = token.indexOf('=');
    const flag = token.startsWith('--') && eq > 0 ? token.slice(0, eq) : token;
    const inline = token.startsWith('--') && eq > 0 ? token.slice(eq + 1) : undefined;
    lastFlag = flag;
    const known = byFlag.get(flag);
    if (known === undefined) {
      const suggestion = closest(flag, [...byFlag.keys()]);
      issues.add(
        flag,
        `is not an option of ${program}`,
        suggestion !== undefined ? `did you mean ${suggestion}? (${helpFix})` : helpFix,
      );
      // Its value, if it has one, is not a stray argument of its own.
      const next = argv[i + 1];
      if (inline === undefined && next !== undefined && !next.startsWith('-')) i++;
      continue;
    }
    const { key, spec } = known;
    if (seen.has(key) && !('repeatable' in spec && spec.repeatable === true)) {
      issues.add(flag, 'is given more than once', `give ${flag} once`);
    }
    seen.add(key);
    if (spec.type === 'boolean') {
      if (inline !== undefined) issues.add(flag, 'takes no value', `write ${flag} alone`);
      values[key] = true;
      continue;
    }
    let text = inline;
    if (text === undefined) {
      const next = argv[i + 1];
      // A value may start with "-" (a password), but not be another declared flag.
      if (next === undefined || byFlag.has(next.split('=')[0] ?? '') || next === '--help') {
        issues.add(flag, 'needs a value', `write ${flag} ${placeholderOf(spec)}`);
        continue;
      }
      text = next;
      i++;
    }
    const value = convert(flag, spec, text, issues);
    if (value === undefined) continue;
    if ('repeatable' in spec && spec.repeatable === true) {
      values[key] = [...((values[key] as unknown[] | undefined) ?? []), value];
    } else {
      values[key] = value;
    }
  }
  for (const [flag, { key, spec }] of byFlag) {
    if (values[key] !== undefined || seen.has(key)) continue;
    if (spec.type === 'boolean') values[key] = false;
    else if (spec.default !== undefined) values[key] = spec.default;
    else if ('repeatable' in spec && spec.repeatable === true) values[key] = [];
    if (spec.required === true && !help) {
      issues.add(flag, 'is required', `give ${flag} ${placeholderOf(spec)}`);
    }
  }
  if (positionalSpec === undefined) {
    const switches = [...byFlag].filter(([, f]) => f.spec.type === 'boolean').map(([name]) => name);
    const note =
      switches.length > 0 ? `; ${switches.join(', ')} take no value and do not consume the next word` : '';
    for (const after of strays) {
      issues.add(
        'arguments',
        `${program} takes no arguments, but one follows ${after === undefined ? 'the command' : after}`,
        `remove it, or write it as --flag VALUE${note} (${helpFix})`,
      );
    }
  } else if (positionalSpec !== undefined && positionalSpec.repeatable !== true && positionals.length > 1) {
    issues.add(
      'arguments',
      `takes one ${positionalSpec.name}, got ${positionals.length}`,
      `give one ${positionalSpec.name}`,
    );
  }
  return { values: values as LooseFlagValues<S>, positionals, help, issues: issues.issues };
}

function usageLine<S extends FlagSpecs, A>(spec: CommandSpec<S, A>): string {
  const required = Object.entries(spec.flags)
    .filter(([, flag]) => flag.required === true)
    .map(([key, flag]) => `${flagName(key)} ${placeholderOf(flag)}`);
  const optional = Object.values(spec.flags).some((flag) => flag.required !== true) ? ['[options]'] : [];
  const positional =
    spec.positionals === undefined
      ? []
      : [`[${spec.positionals.name}${spec.positionals.repeatable === true ? '...' : ''}]`];
  return ['radmfa', spec.name, ...required, ...optional, ...positional].join(' ');
}

function describeFlag(spec: FlagSpec): string {
  const notes: string[] = [];
  if (spec.type === 'choice' && spec.placeholder !== undefined)
    notes.push(`one of ${spec.choices.join(', ')}`);
  if (spec.type === 'integer' || spec.type === 'number') notes.push(`${spec.min} to ${spec.max}`);
  if (spec.type !== 'boolean' && spec.default !== undefined) notes.push(`default ${String(spec.default)}`);
  if (spec.required === true) notes.push('required');
  if (spec.type !== 'boolean' && spec.repeatable === true) notes.push('repeatable');
  return notes.length === 0 ? spec.help : `${spec.help} (${notes.join('; ')})`;
}

const HELP_WIDTH = 100;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** The --help text, generated from the declaration. */
export function renderHelp<S extends FlagSpecs, A>(spec: CommandSpec<S, A>): string {
  const rows: [string, string][] = Object.entries(spec.flags).map(([key, flag]) => [
    `${flagName(key)}${flag.type === 'boolean' ? '' : ` ${placeholderOf(flag)}`}`,
    describeFlag(flag),
  ]);
  if (spec.positionals !== undefined) rows.unshift([spec.positionals.name, spec.positionals.help]);
  rows.push(['-h, --help', 'print this help']);
  const width = Math.min(28, Math.max(...rows.map(([left]) => left.length)) + 2);
  const indent = ' '.repeat(width + 2);
  const table = rows
    .map(([left, right]) => {
      const text = wrap(right, HELP_WIDTH - width - 2).join(`\n${indent}`);
      return left.length + 2 > width ? `  ${left}\n${indent}${text}` : `  ${left.padEnd(width)}${text}`;
    })
    .join('\n');
  const exits = spec.exits
    .map(([code, meaning]) => `  ${String(code).padEnd(5)}${meaning || exitCodeMeanings[code]}`)
    .join('\n');
  return `${usageLine(spec)}\n\n${spec.description}\n\nOptions:\n${table}\n\nExit codes:\n${exits}\n`;
}

export function formatUsageIssues(command: string, issues: readonly Issue[], usage: string): string {
  return (
    `radmfa ${command}: invalid command line or configuration\n${formatIssues(issues)}\n` +
    `Usage: ${usage}\n       (radmfa ${command} --help for every option)\n`
  );
}

async function prepareCommandLine<S extends FlagSpecs, A>(
  spec: CommandSpec<S, A>,
  argv: readonly string[],
): Promise<PreparedCommandLine<A>> {
  const parsed = parseCommandLine(spec.name, spec.flags, argv, spec.positionals);
  if (parsed.help) return { help: true };
  const issues = new IssueCollector();
  issues.addAll(parsed.issues);
  const args =
    spec.prepare !== undefined
      ? await spec.prepare({ values: parsed.values, positionals: parsed.positionals, issues })
      : (parsed.values as unknown as A);
  return issues.ok ? { help: false, ok: true, args } : { help: false, ok: false, issues: issues.issues };
}

async function executeCommand<S extends FlagSpecs, A>(
  spec: CommandSpec<S, A>,
  argv: readonly string[],
  io: CommandIo,
): Promise<number> {
  const prepared = await prepareCommandLine(spec, argv);
  if (prepared.help) {
    io.out(renderHelp(spec));
    return ExitCode.Ok;
  }
  if (!prepared.ok) {
    io.err(formatUsageIssues(spec.name, prepared.issues, usageLine(spec)));
    return ExitCode.Usage;
  }
  return spec.run(prepared.args, io);
}

/**
 * A command in the table of cli/main.ts: its name and summary for `radmfa --help`, and its module,
 * loaded only when the command runs (start-up time: `serve` need not load the suite runner).
 */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

/** Dispatches `radmfa COMMAND ...` over a table of commands. */
export async function dispatch(
  commands: readonly CommandEntry[],
  argv: readonly string[],
  io: CommandIo,
): Promise<number> {
  const [name, ...rest] = argv;
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  const list = commands.map((c) => `  radmfa ${c.name.padEnd(width)}${c.summary}`).join('\n');
  const usage = `radmfa: conformance and load-testing harness for RADIUS servers with cloud MFA\n\nCommands:\n${list}\n\nradmfa COMMAND --help for the options of each command.\n`;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(usage);
    return ExitCode.Ok;
  }
  const entry = commands.find((c) => c.name === name);
  if (entry === undefined) {
    const names = commands.map((c) => c.name).join(', ');
    const issue: Issue =
      name === undefined
        ? { path: 'command', message: 'is missing', fix: `give one of ${names}` }
        : { path: 'command', message: `"${name}" is not a radmfa command`, fix: `use one of ${names}` };
    io.err(`radmfa: invalid command line\n${formatIssues([issue])}\n\n${usage}`);
    return ExitCode.Usage;
  }
  const command = await entry.load();
  return command.execute(rest, io);
}
