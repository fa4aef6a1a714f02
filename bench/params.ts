// Typed benchmark parameters: each benchmark declares its flags as data (name, type, default,
// bounds, description), every one with a default so a benchmark always gets a full set. Parsing is
// radmfa's one command-line layer (cli/command-line.ts): the same messages, fixes and exit code
// 104 as every radmfa command, all bad flags at once.
import { flagName, parseCommandLine, type FlagSpec } from '../cli/command-line.ts';
import type { Issue } from '../runtime/validation/index.ts';

export { flagName };

interface ParamBase {
  readonly description: string;
}

export interface IntegerParam extends ParamBase {
  readonly type: 'integer';
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

export interface NumberParam extends ParamBase {
  readonly type: 'number';
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

export interface ChoiceParam<T extends string = string> extends ParamBase {
  readonly type: 'choice';
  readonly default: T;
  readonly choices: readonly T[];
}

export interface StringParam extends ParamBase {
  readonly type: 'string';
  readonly default: string;
}

/** A flag without a value (`--quick`): false unless given. */
export interface BooleanParam extends ParamBase {
  readonly type: 'boolean';
  readonly default: false;
}

export type ParamSpec = IntegerParam | NumberParam | ChoiceParam | StringParam | BooleanParam;
export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

/** The parsed value type of each declared flag. */
export type ParamValues<S extends ParamSpecs> = {
  readonly [K in keyof S]: S[K] extends ChoiceParam<infer T>
    ? T
    : S[K] extends IntegerParam | NumberParam
      ? number
      : S[K] extends BooleanParam
        ? boolean
        : string;
};

export type ParamsResult<S extends ParamSpecs> =
  | { readonly ok: true; readonly params: ParamValues<S>; readonly help: boolean }
  | { readonly ok: false; readonly issues: readonly Issue[] };

function toFlag(spec: ParamSpec): FlagSpec {
  switch (spec.type) {
    case 'choice':
      return { type: 'choice', choices: spec.choices, default: spec.default, help: spec.description };
    case 'integer':
    case 'number':
      return { type: spec.type, min: spec.min, max: spec.max, default: spec.default, help: spec.description };
    case 'string':
      return { type: 'string', default: spec.default, help: spec.description };
    case 'boolean':
      return { type: 'boolean', help: spec.description };
  }
}

/** Parses `argv` against the declared flags; unknown flags, strays and bad values are all reported together. */
export function parseParams<S extends ParamSpecs>(
  specs: S,
  argv: readonly string[],
  script = 'bench/<name>.ts',
): ParamsResult<S> {
  const flags = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, toFlag(spec)]));
  const parsed = parseCommandLine('bench', flags, argv, undefined, `npx tsx ${script}`);
  if (parsed.issues.length > 0) return { ok: false, issues: parsed.issues };
  return { ok: true, params: parsed.values as ParamValues<S>, help: parsed.help };
}

/** Every flag with its default and bounds, for --help. */
export function describeParams(specs: ParamSpecs): string {
  return Object.entries(specs)
    .map(([name, spec]) => {
      const range =
        spec.type === 'integer' || spec.type === 'number'
          ? ` [${spec.min}..${spec.max}]`
          : spec.type === 'choice'
            ? ` (${spec.choices.join('|')})`
            : '';
      return `  ${flagName(name).padEnd(24)} ${spec.description}${range}, default ${String(spec.default)}`;
    })
    .join('\n');
}
