import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { normaliseServerConfig } from '../reference/config/server-config.ts';
import { formatIssues } from '../runtime/validation/index.ts';
import { writeResultJson } from '../reports/json.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { SystemClock } from '../runtime/clock.ts';
import { UdpTransport } from '../runtime/udp-transport.ts';
import { demoSuite } from '../scenarios/conformance/demo-suite.ts';
import { runSuite, type MfaObserver } from '../scenarios/runner.ts';
import { defineCommand, processIo, type CommandIo } from './command-line.ts';
import { startStack, type Stack } from '../scenarios/embedded/compose.ts';
import { embeddedDefaultConfig } from '../scenarios/embedded/defaults.ts';
import { ExitCode } from './exit-codes.ts';

const DEMO_DOMAIN = 'radmfa.test';

function observe(stack: Stack): MfaObserver | undefined {
  const service = stack.mfaMock?.service;
  if (service === undefined) return undefined;
  const upn = (user: string): string => (user.includes('@') ? user : `${user}@${DEMO_DOMAIN}`);
  return {
    promptsFor: (user, sinceMs) =>
      service.history
        .list({ endpoint: 'begin', user: upn(user) })
        .filter((call) => call.receivedAt >= sinceMs && call.httpStatus === 201).length,
    smsCodeFor: (user) => service.outbox.latest({ user: upn(user) })?.code,
  };
}

async function start(outDir: string, io: CommandIo): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'radmfa-start-'));
  const raw = embeddedDefaultConfig({ accountingPath: join(dataDir, 'accounting.sqlite') });
  const config = normaliseServerConfig({
    ...raw,
    listen: { hosts: ['127.0.0.1'], authPort: 0, acctPort: 0 },
    admin: null,
  });
  if (!config.ok) {
    io.err(`radmfa start: the embedded configuration is invalid\n${formatIssues(config.issues)}\n`);
    return ExitCode.InvalidConfig;
  }
  const clock = new SystemClock();
  let stack: Stack;
  try {
    stack = await startStack(config.config, { clock });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  try {
    const auth = stack.server.endpoints('auth')[0];
    if (auth === undefined) throw new Error('the reference server opened no authentication socket');
    io.err(
      `radmfa: reference server on ${auth.address}:${auth.port}, LDAP stub ${stack.directoryUrl}, MFA mock ${stack.mfaUrl ?? '-'}\n` +
        `radmfa: running ${demoSuite.cases.length} cases of suite "${demoSuite.name}" (the slowest wait out NAS timeouts, ~20 s)\n`,
    );
    const mfa = observe(stack);
    const result = await runSuite(
      demoSuite,
      { host: auth.address, port: auth.port, secret: 'testing123', kind: 'reference (embedded default)' },
      {
        transport: new UdpTransport(),
        clock,
        ...(mfa !== undefined ? { mfa } : {}),
        onCase: (c) =>
          io.err(
            `  ${c.passed ? 'pass' : 'FAIL'}  ${c.title}${c.passed ? '' : `: ${c.failures.join('; ')}`}\n`,
          ),
      },
    );
    const markdown = renderMarkdown(result);
    writeResultJson(join(outDir, 'conformance.json'), result);
    writeFileSync(join(outDir, 'conformance.md'), markdown);
    io.out(markdown);
    io.out(
      `\nResults: ${join(outDir, 'conformance.json')} (schemaVersion ${result.schemaVersion}), ${join(outDir, 'conformance.md')}\n`,
    );
    return result.summary.failed === 0 ? ExitCode.Ok : ExitCode.Failure;
  } finally {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export const startCommand = defineCommand({
  name: 'start',
  summary: 'the main job: embedded default + conformance suite + report',
  description: `The main job (npm start): starts the embedded default (reference server, LDAP stub with the demo
directory, MFA mock with the demo tenant) on ephemeral loopback ports, runs the conformance suite
against it with the simulated NAS, prints a Markdown report and writes DIR/conformance.json and
DIR/conformance.md.`,
  flags: {
    out: { type: 'string', placeholder: 'DIR', default: 'reports/out', help: 'directory for the reports' },
  },
  exits: [
    [ExitCode.Ok, 'every case passed'],
    [ExitCode.Failure, 'a case failed'],
    [ExitCode.Usage, 'invalid command line; each problem is printed with its field and the fix'],
  ],
  run: ({ out }, io) => start(resolve(out), io),
});

/** `radmfa start ARGS` (kept for callers that run one command directly). */
export function runStart(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  return startCommand.execute(argv, io);
}
