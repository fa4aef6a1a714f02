import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { normaliseServerConfig } from '../reference/config/server-config.ts';
import { formatConfigIssues } from '../reference/config/issues.ts';
import { writeResultJson } from '../reports/json.ts';
import { renderMarkdown } from '../reports/markdown.ts';
import { SystemClock } from '../runtime/clock.ts';
import { UdpTransport } from '../runtime/udp-transport.ts';
import { demoSuite } from '../scenarios/conformance/demo-suite.ts';
import { runSuite, type MfaObserver } from '../scenarios/runner.ts';
import { startStack, type Stack } from '../scenarios/embedded/compose.ts';
import { embeddedDefaultConfig } from '../scenarios/embedded/defaults.ts';
import { ExitCode } from './exit-codes.ts';

export const startUsage = `radmfa start [--out DIR]

The main job: starts the embedded default (reference server, LDAP stub with the demo directory, MFA
mock with the demo tenant) on ephemeral loopback ports, runs the conformance suite against it with
the simulated NAS, prints a Markdown report and writes DIR/conformance.json and conformance.md
(default reports/out). Exit 0 when every case passed, 1 otherwise.`;

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

export async function runStart(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${startUsage}\n`);
    return ExitCode.Ok;
  }
  const { values } = parseArgs({
    args: [...argv],
    options: { out: { type: 'string', default: 'reports/out' } },
  });
  const outDir = resolve(values.out ?? 'reports/out');
  const dataDir = mkdtempSync(join(tmpdir(), 'radmfa-start-'));
  const raw = embeddedDefaultConfig({ accountingPath: join(dataDir, 'accounting.sqlite') });
  const config = normaliseServerConfig({
    ...raw,
    listen: { hosts: ['127.0.0.1'], authPort: 0, acctPort: 0 },
    admin: null,
  });
  if (!config.ok) {
    process.stderr.write(
      `radmfa start: the embedded configuration is invalid\n${formatConfigIssues(config.issues)}\n`,
    );
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
    process.stderr.write(
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
          process.stderr.write(
            `  ${c.passed ? 'pass' : 'FAIL'}  ${c.title}${c.passed ? '' : `: ${c.failures.join('; ')}`}\n`,
          ),
      },
    );
    const markdown = renderMarkdown(result);
    writeResultJson(join(outDir, 'conformance.json'), result);
    writeFileSync(join(outDir, 'conformance.md'), markdown);
    process.stdout.write(markdown);
    process.stdout.write(
      `\nResults: ${join(outDir, 'conformance.json')} (schemaVersion ${result.schemaVersion}), ${join(outDir, 'conformance.md')}\n`,
    );
    return result.summary.failed === 0 ? ExitCode.Ok : ExitCode.Failure;
  } finally {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
