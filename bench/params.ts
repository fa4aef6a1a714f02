// Typed benchmark parameters: each benchmark declares its flags as data (name, type, default,
// bounds, description); one parser turns argv into a fully populated, validated object and reports
// every bad flag at once, each with the fix, as the rest of radmfa does for configuration.
import { parseArgs } from 'node:util';
import type { Issue } from '../runtime/validation/index.ts';

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

export type ParamSpec = IntegerParam | NumberParam | ChoiceParam | StringParam;
export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

/** The parsed value type of each declared flag. */
export type ParamValues<S extends ParamSpecs> = {
  readonly [K in keyof S]: S[K] extends ChoiceParam<infer T>
    ? T
    : S[K] extends IntegerParam | NumberParam
      ? number
      : string;
};

export type ParamsResult<S extends ParamSpecs> =
  | { readonly ok: true; readonly params: ParamValues<S>; readonly help: boolean }
  | { readonly ok: false; readonly issues: readonly Issue[] };

/** camelCase parameter name to its --kebab-case flag. */
export function flagName(name: string): string {
  return `--${name.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}`;
}

function parseOne(name: string, spec: ParamSpec, text: string, issues: Issue[]): string | number {
  const flag = flagName(name);
  switch (spec.type) {
    case 'string':
      return text;
    case 'choice':
      if (spec.choices.includes(text)) return text;
      issues.push({
        path: flag,
        message: `"${text}" is not allowed`,
        fix: `use one of ${spec.choices.join(', ')}`,
      });
      return spec.default;
    case 'integer':
    case 'number': {
      const value = Number(text);
      const wantsInteger = spec.type === 'integer';
      if (
        text.trim() === '' ||
        !Number.isFinite(value) ||
        (wantsInteger && !Number.isInteger(value)) ||
        value < spec.min ||
        value > spec.max
      ) {
        issues.push({
          path: flag,
          message: `"${text}" is not ${wantsInteger ? 'an integer' : 'a number'} from ${spec.min} to ${spec.max}`,
          fix: `give ${flag} ${wantsInteger ? 'an integer' : 'a number'} in [${spec.min}, ${spec.max}] (default ${spec.default})`,
        });
        return spec.default;
      }
      return value;
    }
  }
}

/** Parses `argv` against the declared flags; unknown flags and bad values are all reported together. */
export function parseParams<S extends ParamSpecs>(specs: S, argv: readonly string[]): ParamsResult<S> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  const flagToName = new Map<string, string>();
  for (const name of Object.keys(specs)) {
    const flag = flagName(name).slice(2);
    options[flag] = { type: 'string' };
    flagToName.set(flag, name);
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return {
      ok: false,
      issues: [
        { path: 'arguments', message: (error as Error).message, fix: 'run with --help for the flags' },
      ],
    };
  }
  const issues: Issue[] = [];
  const params: Record<string, string | number> = {};
  for (const [flag, name] of flagToName) {
    const spec = specs[name];
    if (spec === undefined) continue;
    const text = values[flag];
    params[name] = typeof text === 'string' ? parseOne(name, spec, text, issues) : spec.default;
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, params: params as ParamValues<S>, help: values.help === true };
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
