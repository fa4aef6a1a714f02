import { pathToFileURL } from 'node:url';
import { dispatch, processIo, type CommandEntry, type CommandIo } from './command-line.ts';

/**
 * Every radmfa command, in the order `radmfa --help` lists them. A new command (run, schema, load,
 * validate-nas) is a module exporting `defineCommand({ name, summary, description, flags, exits,
 * prepare?, run })` (cli/command-line.ts documents the declaration) and one entry here.
 */
export const commands: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary: 'run the reference RADIUS + MFA server',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    name: 'nas',
    summary: 'log in once as a simulated VPN server (like radtest)',
    load: async () => (await import('./nas.ts')).nasCommand,
  },
  {
    name: 'run',
    summary: 'run conformance suites and properties against a server; write reports',
    load: async () => (await import('./run.ts')).runCommand,
  },
  {
    name: 'load',
    summary: 'load-test a server with a profile (k6 executors, thresholds, segments); write reports',
    load: async () => (await import('./load.ts')).loadCommand,
  },
  {
    name: 'report',
    summary: 'radmfa report merge: add the results of execution segments into one',
    load: async () => (await import('./report.ts')).reportCommand,
  },
  {
    name: 'validate-nas',
    summary: 'point a NAS at a probe server; get a verdict on its timeouts and retransmissions',
    load: async () => (await import('./validate-nas.ts')).validateNasCommand,
  },
  {
    name: 'schema',
    summary: 'print the JSON Schema of suite files, load profiles or the server config',
    load: async () => (await import('./schema.ts')).schemaCommand,
  },
  {
    name: 'cert',
    summary: 'make, list and roll over the client certificates (the NPS setup script)',
    load: async () => (await import('./cert.ts')).certCommand,
  },
  {
    name: 'doctor',
    summary: 'check a configuration and its peers (the NPS extension health check)',
    load: async () => (await import('./doctor.ts')).doctorCommand,
  },
  {
    name: 'start',
    summary: 'the main job: embedded default + conformance suite + report',
    load: async () => (await import('./start.ts')).startCommand,
  },
];

export function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  return dispatch(commands, argv, io);
}

// Run directly (tsx cli/main.ts ...) rather than imported by bin/radmfa.js or a test.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
