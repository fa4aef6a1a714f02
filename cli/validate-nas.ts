// `radmfa validate-nas`: a vendor points a NAS at the probe server and gets a verdict on its timeouts.
// Thin: flags and files are checked here (every mistake at once, exit 104); the run, the analysis
// and the reports live in scenarios/nas-validation/ and reports/nas-validation.ts.
import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { SystemClock } from '../runtime/clock.ts';
import { formatIssues, isPlainObject } from '../runtime/validation/index.ts';
import { UdpTransport } from '../runtime/udp-transport.ts';
import { writeNasReports } from '../reports/nas-validation.ts';
import { DEFAULT_PROBE_PASSWORD } from '../scenarios/nas-validation/probe.ts';
import { probeServerConfig, type ProbeServerSettings } from '../scenarios/nas-validation/servers.ts';
import { runValidationSession, verdictExit } from '../scenarios/nas-validation/session.ts';
import { durationMs, loadSteps, type StepsFile } from '../scenarios/nas-validation/steps.ts';
import { defineCommand, type CommandIo } from './command-line.ts';
import { readConfigFile } from './config-file.ts';
import { ExitCode } from './exit-codes.ts';
import { startFailureIssue } from './preflight.ts';

const DURATION = /^\d+(\.\d+)?(ms|s|m|h)$/;

function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  const amount = Number(match?.[1]);
  return match?.[2] === 'h' ? amount * 3_600_000 : durationMs(text);
}

interface ValidateArgs {
  readonly settings: ProbeServerSettings;
  readonly durationMs?: number;
  readonly steps?: StepsFile;
  readonly reportDir: string;
  readonly pcap?: string;
}

async function validateNas(args: ValidateArgs, io: CommandIo): Promise<number> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  io.signal?.addEventListener('abort', stop, { once: true });
  try {
    const output = await runValidationSession({
      settings: args.settings,
      clock: new SystemClock(),
      transport: new UdpTransport(),
      ...(args.durationMs !== undefined ? { durationMs: args.durationMs } : {}),
      ...(args.steps !== undefined ? { steps: args.steps } : {}),
      signal: controller.signal,
      say: (line) => io.out(`${line}\n`),
      ...(args.pcap !== undefined ? { pcapPath: args.pcap } : {}),
    });
    const files = await writeNasReports(output.result, args.reportDir);
    if (args.pcap !== undefined) await writeFile(args.pcap, output.pcap);
    const s = output.result.summary;
    io.out(
      `radmfa validate-nas: ${output.result.nas.length} NAS address(es), ${s.pass} pass, ${s.warn} warn, ${s.fail} fail; ` +
        `report ${files.html}${args.pcap !== undefined ? `, capture ${args.pcap}` : ''}\n`,
    );
    return verdictExit(output.result);
  } catch (error) {
    const config = probeServerConfig(args.settings, 'primary');
    const issue = config.ok ? startFailureIssue(error, config.config) : undefined;
    if (issue !== undefined) {
      io.err(`radmfa validate-nas: could not start\n${formatIssues([issue])}\n`);
      return ExitCode.InvalidConfig;
    }
    io.err(`radmfa validate-nas: ${(error as Error).message}\n`);
    return ExitCode.Failure;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export const validateNasCommand = defineCommand({
  name: 'validate-nas',
  summary: 'point a NAS at a probe server and get a verdict on its timeouts and retransmissions',
  description: `Starts the reference server with the probe tenant (users probe-approve-2s, -10s, -30s, -45s, -90s,
probe-never, probe-deny, probe-code, probe-call-5s; one password), prints what to do at the NAS, observes
every packet from each NAS address and, on --duration expiry, Ctrl-C or the end of the --steps, writes
results.json, junit.xml, summary.md and index.html to --report-dir: per NAS its timeout, transmissions,
backoff, retransmission (same or naive), Message-Authenticator, identification, Access-Challenge handling,
Status-Server and accounting, a verdict per check with the RFC or seed passage behind it, and the timeout
it needs for a given MFA response time. --pcap writes every packet for Wireshark, secrets hidden.
Without --config every NAS address is accepted with --secret.`,
  flags: {
    config: {
      type: 'string',
      placeholder: 'FILE',
      help: 'server config (clients, duplicates, replies); directory and MFA are the probe tenant',
    },
    host: {
      type: 'string',
      placeholder: 'ADDR',
      default: '127.0.0.1',
      help: 'listen address (0.0.0.0 for a NAS on the lab network)',
    },
    authPort: {
      type: 'integer',
      min: 0,
      max: 65535,
      default: 1812,
      help: 'authentication port; 0 for any free one',
    },
    acctPort: {
      type: 'integer',
      min: 0,
      max: 65535,
      default: 1813,
      help: 'accounting port; 0 for any free one',
    },
    secret: {
      type: 'string',
      placeholder: 'S',
      default: 'testing123',
      help: 'shared secret for every NAS address (without --config)',
    },
    password: {
      type: 'string',
      placeholder: 'P',
      default: DEFAULT_PROBE_PASSWORD,
      help: 'password of every probe user',
    },
    duration: {
      type: 'string',
      placeholder: 'D',
      help: 'stop after this long: 90s, 10m, 1h (default: at Ctrl-C or the end of the steps)',
    },
    steps: {
      type: 'string',
      placeholder: 'FILE',
      help: 'steps file (YAML) that drives the NAS; the run ends when they are done',
    },
    reportDir: {
      type: 'string',
      placeholder: 'DIR',
      default: 'validate-nas-report',
      help: 'where the reports and the probe tenant files go',
    },
    secondaryPort: {
      type: 'integer',
      min: 0,
      max: 65535,
      help: 'also run a second instance on this auth port (accounting: the next port), same users and phone',
    },
    pcap: { type: 'string', placeholder: 'FILE', help: 'write every packet as a pcap file (secrets hidden)' },
  },
  exits: [
    [ExitCode.Ok, 'every check passed (warnings allowed) and every step ran as expected'],
    [ExitCode.Failure, 'a check failed, a step failed, or the run could not complete'],
    [ExitCode.InvalidConfig, 'invalid command line, config file or steps file, or a port in use'],
  ],
  prepare: async ({ values, issues }): Promise<ValidateArgs> => {
    if (values.host !== undefined && isIP(values.host) === 0)
      issues.add(
        '--host',
        `"${values.host}" is not an IP address`,
        'give an address such as 127.0.0.1, 0.0.0.0 or ::',
      );
    if (values.duration !== undefined && !DURATION.test(values.duration))
      issues.add(
        '--duration',
        `"${values.duration}" is not a duration`,
        'write a number and a unit: 90s, 10m, 1h',
      );
    if (
      values.secondaryPort !== undefined &&
      values.secondaryPort !== 0 &&
      (values.secondaryPort === values.authPort ||
        values.secondaryPort === values.acctPort ||
        values.secondaryPort + 1 === values.authPort)
    )
      issues.add(
        '--secondary-port',
        "clashes with the primary server's ports",
        'give a port whose number and the next are free of --auth-port and --acct-port',
      );
    let base: Record<string, unknown> | undefined;
    if (values.config !== undefined) {
      const loaded = readConfigFile(values.config);
      if (!loaded.ok) issues.addAll(loaded.issues);
      else if (isPlainObject(loaded.value)) base = { ...loaded.value };
    }
    let steps: StepsFile | undefined;
    if (values.steps !== undefined) {
      const loaded = await loadSteps(values.steps);
      if (loaded.ok) steps = loaded.file;
      else
        issues.addAll(
          loaded.issues.map((i) => ({
            ...i,
            path: i.path === '--steps' ? i.path : `${values.steps ?? ''}: ${i.path}`,
          })),
        );
    }
    const reportDir = resolve(values.reportDir ?? 'validate-nas-report');
    const settings: ProbeServerSettings = {
      ...(base !== undefined ? { base } : {}),
      host: values.host ?? '127.0.0.1',
      authPort: values.authPort ?? 1812,
      acctPort: values.acctPort ?? 1813,
      ...(values.secondaryPort !== undefined ? { secondaryPort: values.secondaryPort } : {}),
      secret: values.secret ?? 'testing123',
      password: values.password ?? DEFAULT_PROBE_PASSWORD,
      workDir: reportDir,
    };
    // The server config the probe would run with: its mistakes (a --config file's) are reported now.
    if (issues.ok) {
      const config = probeServerConfig(settings, 'primary');
      if (!config.ok) issues.addAll(config.issues.filter((i) => !i.path.includes('embedded')));
    }
    return {
      settings,
      ...(values.duration !== undefined && DURATION.test(values.duration)
        ? { durationMs: parseDuration(values.duration) }
        : {}),
      ...(steps !== undefined ? { steps } : {}),
      reportDir,
      ...(values.pcap !== undefined ? { pcap: resolve(values.pcap) } : {}),
    };
  },
  run: validateNas,
});
