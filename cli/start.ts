// `radmfa start` (npm start): the main job on the embedded default, with nothing to choose.
import { resolve } from 'node:path';
import { bundledSuiteNames, loadSuites } from '../scenarios/suites/loader.ts';
import { randomSeed } from '../scenarios/properties/run.ts';
import { defineCommand, processIo, type CommandIo } from './command-line.ts';
import { ExitCode } from './exit-codes.ts';
import { executeRun, type RunArgs } from './run.ts';

export const startCommand = defineCommand({
  name: 'start',
  summary: 'the main job: every suite and the properties against the embedded default, with reports',
  description: `The main job (npm start): every bundled suite against the embedded default (the reference
server with the LDAP stub and its demo directory and the MFA mock with its demo tenant; quick
cases over loopback UDP in real time, long MFA waits in virtual time), then the property suite,
and the reports in DIR: results.json, junit.xml, summary.md and index.html.
It is \`radmfa run --target embedded --report-dir DIR\`; use \`radmfa run\` to choose.`,
  flags: {
    out: { type: 'string', placeholder: 'DIR', default: 'reports/out', help: 'directory for the reports' },
    seed: {
      type: 'integer',
      placeholder: 'N',
      min: -(2 ** 31),
      max: 2 ** 31 - 1,
      help: 'seed of every random choice (printed by every run, to replay it)',
    },
  },
  exits: [
    [ExitCode.Ok, 'every case and property passed'],
    [ExitCode.Failure, 'a case or a property failed'],
    [ExitCode.InvalidConfig, 'a bundled suite file is invalid, or the command line is'],
  ],
  prepare: ({ values, issues }): RunArgs => {
    const loaded = loadSuites(bundledSuiteNames());
    if (!loaded.ok) issues.addAll(loaded.issues);
    return {
      suites: loaded.ok ? loaded.value : [],
      target: 'embedded',
      seed: values.seed ?? randomSeed(),
      properties: {},
      reportDir: resolve(values.out ?? 'reports/out'),
      notes: [],
    };
  },
  run: executeRun,
});

/** `radmfa start ARGS` (kept for callers that run one command directly). */
export function runStart(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  return startCommand.execute(argv, io);
}
