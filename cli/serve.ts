import pino from 'pino';
import { normaliseServerConfig, type ServerConfig } from '../reference/config/server-config.ts';
import { ServerEvents } from '../reference/events.ts';
import { formatIssues, isPlainObject, type Issue, type IssueCollector } from '../runtime/validation/index.ts';
import { defineCommand, processIo, type CommandIo } from './command-line.ts';
import { DEFAULT_ACCOUNTING_FILE, configFilePermissionWarning, readConfigFile } from './config-file.ts';
import { startStack, type Stack } from '../scenarios/embedded/compose.ts';
import { embeddedDefaultConfig } from '../scenarios/embedded/defaults.ts';
import { ExitCode } from './exit-codes.ts';
import { attachLogging, attachMetrics, startAdminServer, type HealthAnswer } from './observability.ts';
import type { Readiness } from '../reference/health/readiness.ts';
import { setHeapGrowthPercent } from '../runtime/heap-growth.ts';
import { stackReadiness } from '../scenarios/health/stack-readiness.ts';
import { preflight, startFailureIssue } from './preflight.ts';
import { isServeWorker, primaryMain, waitForStop, workerMain } from './serve-workers.ts';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof logLevels)[number];

export interface ServeArgs {
  readonly config?: string;
  readonly host?: string;
  readonly authPort?: number;
  readonly acctPort?: number;
  readonly adminPort?: number;
}

/** Config from the file (or the embedded default) with command-line overrides applied. */
export function resolveServeConfig(
  args: ServeArgs,
): { ok: true; config: ServerConfig } | { ok: false; issues: readonly Issue[] } {
  let raw: unknown = embeddedDefaultConfig();
  if (args.config !== undefined) {
    const loaded = readConfigFile(args.config);
    if (!loaded.ok) return loaded;
    raw = loaded.value;
  }
  if (isPlainObject(raw)) {
    const listen = isPlainObject(raw.listen) ? { ...raw.listen } : {};
    if (args.host !== undefined) {
      delete listen.hosts;
      listen.host = args.host;
    }
    if (args.authPort !== undefined) listen.authPort = args.authPort;
    if (args.acctPort !== undefined) listen.acctPort = args.acctPort;
    const admin = isPlainObject(raw.admin) ? raw.admin : {};
    raw = {
      ...raw,
      listen,
      ...(args.adminPort !== undefined ? { admin: { ...admin, port: args.adminPort } } : {}),
    };
  }
  const result = normaliseServerConfig(raw);
  return result.ok ? { ok: true, config: result.config } : { ok: false, issues: result.issues };
}

/**
 * /health: the live readiness rows, and who is answering (the pid and the bound endpoints, which
 * `radmfa doctor` uses to tell a running radmfa from another program holding the ports).
 */
async function healthAnswer(stack: Stack | undefined, readiness: Readiness): Promise<HealthAnswer> {
  const report = await readiness.report();
  return {
    ready: report.ready,
    body: {
      status: report.status === 'pass' ? 'ok' : report.status,
      ready: report.ready,
      service: 'radmfa',
      pid: process.pid,
      checkedAt: report.checkedAt,
      checks: report.rows,
      auth: stack?.server.endpoints('auth'),
      acct: stack?.server.endpoints('acct'),
      inFlight: stack?.server.stats().inFlight,
    },
  };
}

interface PreparedServe {
  readonly config: ServerConfig;
  readonly logLevel: LogLevel;
  /** The file the config came from; absent for the embedded default. */
  readonly configPath?: string;
}

/** Undefined when the configuration is invalid (its issues are then collected and `run` is not called). */
function prepareServe(
  args: ServeArgs,
  logLevel: LogLevel | undefined,
  issues: IssueCollector,
): PreparedServe | undefined {
  const resolved = resolveServeConfig(args);
  if (!resolved.ok) {
    issues.addAll(resolved.issues);
    return undefined;
  }
  return {
    config: resolved.config,
    logLevel: logLevel ?? 'info',
    ...(args.config !== undefined ? { configPath: args.config } : {}),
  };
}

function reportStartIssues(io: CommandIo, issues: readonly Issue[]): number {
  io.err(`radmfa serve: could not start\n${formatIssues(issues)}\n`);
  return ExitCode.InvalidConfig;
}

async function serve(prepared: PreparedServe | undefined, io: CommandIo): Promise<number> {
  if (prepared === undefined) return ExitCode.InvalidConfig;
  const { config, logLevel } = prepared;
  // Before any login: workers and the primary each have their own heap.
  setHeapGrowthPercent(config.memory.heapGrowthPercent);
  if (config.listen.workers > 1 && isServeWorker()) {
    // The primary ran the preflight; a worker's lines say which worker wrote them.
    const log = pino(
      { level: logLevel, base: { service: 'radmfa', worker: Number(process.env.RADMFA_WORKER_INDEX) } },
      pino.destination(2),
    );
    return workerMain(config, log);
  }
  const blocked = await preflight(config);
  if (blocked.length > 0) return reportStartIssues(io, blocked);
  const log = pino({ level: logLevel, base: { service: 'radmfa' } }, pino.destination(2));
  if (config.listen.workers > 1) return primaryMain(config, io, log);
  const events = new ServerEvents();
  attachLogging(events, log);
  const readable =
    prepared.configPath !== undefined ? configFilePermissionWarning(prepared.configPath) : undefined;
  if (readable !== undefined) events.emit('warning', readable);
  let stack: Stack | undefined;
  const metrics = attachMetrics(
    events,
    () => stack?.server,
    () => stack?.directory.stats?.(),
  );
  try {
    stack = await startStack(config, { events });
  } catch (error) {
    const issue = startFailureIssue(error, config);
    log.error({ event: 'start-failed', error: (error as Error).message }, 'could not start');
    log.flush();
    if (issue !== undefined) return reportStartIssues(io, [issue]);
    io.err(`radmfa serve: could not start: ${(error as Error).message}\n`);
    return ExitCode.Failure;
  }
  let admin: Awaited<ReturnType<typeof startAdminServer>> | undefined;
  const readiness = config.admin !== undefined ? stackReadiness(stack) : undefined;
  try {
    admin =
      config.admin !== undefined && readiness !== undefined
        ? await startAdminServer(config.admin.host, config.admin.port, metrics, () =>
            healthAnswer(stack, readiness),
          )
        : undefined;
  } catch (error) {
    readiness?.close();
    // A busy admin port is a start failure like a busy RADIUS port: say so and release the sockets.
    log.error({ event: 'start-failed', error: (error as Error).message }, 'could not start the admin port');
    await stack.close();
    log.flush();
    const issue = startFailureIssue(error, config);
    if (issue !== undefined) return reportStartIssues(io, [issue]);
    io.err(`radmfa serve: could not start the admin port: ${(error as Error).message}\n`);
    return ExitCode.Failure;
  }
  const adminAddress = admin?.address();
  io.out(
    `${JSON.stringify({
      event: 'started',
      auth: stack.server.endpoints('auth'),
      acct: stack.server.endpoints('acct'),
      ...(adminAddress !== undefined && adminAddress !== null && typeof adminAddress === 'object'
        ? { admin: { address: adminAddress.address, port: adminAddress.port } }
        : {}),
      directory: stack.directoryUrl,
      ...(stack.mfaUrl !== undefined ? { mfa: stack.mfaUrl } : {}),
      duplicates: config.duplicates.profile.name,
      accounting: stack.accounting.path,
      heapGrowthPercent: config.memory.heapGrowthPercent,
    })}\n`,
  );
  await waitForStop(io);
  readiness?.close();
  await stack.close();
  await new Promise<void>((resolve) => (admin ? admin.close(() => resolve()) : resolve()));
  log.flush();
  return ExitCode.Ok;
}

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'run the reference RADIUS + MFA server',
  description: `Starts the reference RADIUS + MFA server. Without --config: the embedded default (LDAP stub with the
demo directory, MFA mock with the demo tenant, client 127.0.0.1 secret testing123, ports 1812/1813,
admin port 9812, accounting in ./${DEFAULT_ACCOUNTING_FILE}). Paths in a config file are relative to it.
Prints one JSON line with the bound addresses on stdout; JSON logs go to stderr. Every mistake in the
command line or the config file is reported at once, each with its field and the fix; so are a
missing fixture or tenant file and a port in use (1812 clashes with a packaged FreeRADIUS).`,
  flags: {
    config: {
      type: 'string',
      placeholder: 'FILE',
      help: 'YAML or JSON configuration (default: the embedded default)',
    },
    host: {
      type: 'string',
      placeholder: 'ADDR',
      help: 'listen on this address only (overrides listen.hosts)',
    },
    authPort: { type: 'integer', min: 0, max: 65535, help: 'authentication port; 0 for any free one' },
    acctPort: { type: 'integer', min: 0, max: 65535, help: 'accounting port; 0 for any free one' },
    adminPort: { type: 'integer', min: 0, max: 65535, help: 'admin HTTP port for /metrics and /health' },
    logLevel: {
      type: 'choice',
      choices: logLevels,
      default: 'info',
      placeholder: 'LEVEL',
      help: 'log level',
    },
  },
  exits: [
    [ExitCode.Ok, 'stopped by SIGINT or SIGTERM'],
    [ExitCode.Failure, 'an unexpected failure at start-up'],
    [
      ExitCode.InvalidConfig,
      'invalid command line or configuration, a missing fixture or tenant file, or a port in use',
    ],
  ],
  // The config file is read even when a flag was wrong, so one run reports the mistakes of both.
  prepare: ({ values, issues }) =>
    prepareServe(
      {
        ...(values.config !== undefined ? { config: values.config } : {}),
        ...(values.host !== undefined ? { host: values.host } : {}),
        ...(values.authPort !== undefined ? { authPort: values.authPort } : {}),
        ...(values.acctPort !== undefined ? { acctPort: values.acctPort } : {}),
        ...(values.adminPort !== undefined ? { adminPort: values.adminPort } : {}),
      },
      values.logLevel,
      issues,
    ),
  run: serve,
});

/** `radmfa serve ARGS`; `signal` stops the server as SIGTERM does. */
export function runServe(
  argv: readonly string[],
  signal?: AbortSignal,
  io: CommandIo = processIo,
): Promise<number> {
  return serveCommand.execute(argv, signal !== undefined ? { ...io, signal } : io);
}
