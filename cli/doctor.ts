import type { HealthRow } from '../reference/health/rows.ts';
import { HEALTH_CHECK_TITLES } from '../reference/health/rows.ts';
import { embeddedDefaultConfig } from '../scenarios/embedded/defaults.ts';
import { runDoctor, type DoctorReport } from '../scenarios/health/doctor.ts';
import { defineCommand, processIo, type CommandIo } from './command-line.ts';
import { readConfigFile } from './config-file.ts';
import { ExitCode } from './exit-codes.ts';

const STATUS_LABEL: Readonly<Record<HealthRow['status'], string>> = {
  pass: 'pass',
  warn: 'WARN',
  fail: 'FAIL',
  skip: 'skip',
};

/** The table: status, check, what was found, and on the next line the fix. */
export function formatDoctorTable(report: DoctorReport): string {
  const width = Math.max(...report.rows.map((row) => HEALTH_CHECK_TITLES[row.id].length));
  const indent = ' '.repeat(6 + width + 2);
  const lines = report.rows.flatMap((row) => {
    const first = `${STATUS_LABEL[row.status].padEnd(6)}${HEALTH_CHECK_TITLES[row.id].padEnd(width + 2)}${row.message}`;
    return row.fix !== undefined ? [first, `${indent}fix: ${row.fix}`] : [first];
  });
  const count = (status: HealthRow['status']): number =>
    report.rows.filter((r) => r.status === status).length;
  const summary =
    `${count('fail')} failed, ${count('warn')} warning(s), ${count('pass')} passed` +
    (count('skip') > 0 ? `, ${count('skip')} skipped` : '');
  return `radmfa doctor: ${report.source}\n\n${lines.join('\n')}\n\n${summary}\n`;
}

interface DoctorArgs {
  readonly config?: string;
  readonly json: boolean;
}

async function doctor(args: DoctorArgs, io: CommandIo): Promise<number> {
  const report =
    args.config !== undefined
      ? await runDoctor(readConfigFile(args.config), args.config)
      : await runDoctor({ ok: true, value: embeddedDefaultConfig() }, 'the embedded default');
  io.out(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorTable(report));
  return report.status === 'fail' ? ExitCode.Failure : ExitCode.Ok;
}

export const doctorCommand = defineCommand({
  name: 'doctor',
  summary: 'check a configuration and its peers, as the NPS extension health check script does',
  description: `Runs every readiness check, in order, on the configuration (default: the embedded default) and
prints one row per check: pass, WARN or FAIL, what was found and the fix. The checks: the
configuration is valid; the RADIUS (and admin) ports are free or held by a running radmfa; the
directory answers and the service account binds; the token service and the MFA host answer over TLS
with the configured CA; the client certificate is there, valid and not within 30 days of expiry; the
tenant issues a token for it; REQUIRE_USER_MATCH and the fail mode are not the settings the seed says
to remove before production. Embedded peers the configuration names (LDAP stub, MFA mock) are started
for the checks and stopped after. Nothing here sends an MFA prompt to anyone.`,
  flags: {
    config: {
      type: 'string',
      placeholder: 'FILE',
      help: 'YAML or JSON configuration (default: the embedded default)',
    },
    json: { type: 'boolean', help: 'print the rows as JSON ({ schemaVersion, source, status, rows })' },
  },
  exits: [
    [ExitCode.Ok, 'no check failed (warnings allowed)'],
    [ExitCode.Failure, 'a check failed'],
    [ExitCode.Usage, 'invalid command line'],
  ],
  prepare: ({ values }) => ({
    ...(values.config !== undefined ? { config: values.config } : {}),
    json: values.json === true,
  }),
  run: doctor,
});

/** `radmfa doctor ARGS`. */
export function runDoctorCommand(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  return doctorCommand.execute(argv, io);
}
