// `radmfa schema suite|config`: the JSON Schemas the loaders validate against, for editors
// (yaml-language-server's `# yaml-language-server: $schema=...` line, VS Code's yaml.schemas).
import { writeFile } from 'node:fs/promises';
import { serverConfigJsonSchema } from '../reference/config/server-config.ts';
import { loadProfileJsonSchema } from '../scenarios/load/profile.ts';
import { suiteFileJsonSchema } from '../scenarios/suites/schema.ts';
import { defineCommand } from './command-line.ts';
import { ExitCode } from './exit-codes.ts';

const schemas = {
  suite: suiteFileJsonSchema,
  config: serverConfigJsonSchema,
  load: loadProfileJsonSchema,
} as const;

type SchemaName = keyof typeof schemas;
const names = Object.keys(schemas) as SchemaName[];

export const schemaCommand = defineCommand({
  name: 'schema',
  summary: 'print the JSON Schema of suite files, load profiles or the server config',
  description: `Prints the JSON Schema (draft 2020-12) of a suite file (suite), a load profile (load) or
of the server configuration file (config): the same schema the loaders check with, so an editor that
knows it completes and checks the YAML as you type.`,
  positionals: { name: 'KIND', help: names.join(' or ') },
  flags: {
    out: { type: 'string', placeholder: 'FILE', help: 'write to FILE instead of standard output' },
  },
  exits: [
    [ExitCode.Ok, 'the schema was printed or written'],
    [ExitCode.Usage, ''],
  ],
  prepare: ({ values, positionals, issues }) => {
    const [kind, ...rest] = positionals;
    if (kind === undefined) issues.add('KIND', 'is missing', `give one of ${names.join(', ')}`);
    else if (!(names as readonly string[]).includes(kind)) {
      issues.add('KIND', `"${kind}" is not a schema radmfa publishes`, `give one of ${names.join(', ')}`);
    }
    if (rest.length > 0) issues.add('KIND', 'more than one kind was given', 'give one kind per run');
    return { kind: (kind ?? 'suite') as SchemaName, out: values.out };
  },
  run: async ({ kind, out }, io) => {
    const text = `${JSON.stringify(schemas[kind](), null, 2)}\n`;
    if (out === undefined) io.out(text);
    else {
      await writeFile(out, text);
      io.err(`radmfa schema: wrote ${out}\n`);
    }
    return ExitCode.Ok;
  },
});
