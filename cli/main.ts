import { pathToFileURL } from 'node:url';
import { ExitCode } from './exit-codes.ts';
import { runServe } from './serve.ts';

const usage = `radmfa: conformance and load-testing harness for RADIUS servers with cloud MFA

Commands:
  radmfa serve [--config FILE] ...      run the reference RADIUS + MFA server
  radmfa nas --server HOST[:PORT] ...   log in once as a simulated VPN server (like radtest)
  radmfa start                          the main job: embedded default + conformance suite + report

radmfa COMMAND --help for the options of each command.`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return runServe(rest);
    case 'nas': {
      const { runNas } = await import('./nas.ts');
      return runNas(rest);
    }
    case 'start': {
      const { runStart } = await import('./start.ts');
      return runStart(rest);
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${usage}\n`);
      return command === undefined ? ExitCode.NasUsage : ExitCode.Ok;
    default:
      process.stderr.write(`radmfa: unknown command "${command}"\n\n${usage}\n`);
      return ExitCode.NasUsage;
  }
}

// Run directly (tsx cli/main.ts ...) rather than imported by bin/radmfa.js or a test.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
