import { parseArgs } from 'node:util';
import pino from 'pino';
import { formatConfigIssues, isPlainObject, type ConfigIssue } from '../reference/config/issues.ts';
import { normaliseServerConfig, type ServerConfig } from '../reference/config/server-config.ts';
import { ServerEvents } from '../reference/events.ts';
import { readConfigFile } from './config-file.ts';
import { startStack, type Stack } from '../scenarios/embedded/compose.ts';
import { embeddedDefaultConfig } from '../scenarios/embedded/defaults.ts';
import { ExitCode } from './exit-codes.ts';
import { attachLogging, attachMetrics, startAdminServer } from './observability.ts';

export const serveUsage = `radmfa serve [--config FILE] [--host ADDR] [--auth-port N] [--acct-port N] [--admin-port N] [--log-level LEVEL]

Starts the reference RADIUS + MFA server. Without --config: the embedded default (LDAP stub with the
demo directory, MFA mock with the demo tenant, client 127.0.0.1 secret testing123, ports 1812/1813).
Prints one JSON line with the bound addresses on stdout; JSON logs go to stderr.
Exit 104 on an invalid configuration, with every error, each naming the field and the fix.`;

interface ServeArgs {
  readonly config?: string;
  readonly host?: string;
  readonly authPort?: number;
  readonly acctPort?: number;
  readonly adminPort?: number;
  readonly logLevel: string;
}

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * The arguments that parsed, and an issue for each that did not. `args` is absent only when the
 * command line cannot be read at all (an unknown option); otherwise the config file is still
 * checked, so one run reports the mistakes of both.
 */
function parseServeArgs(argv: readonly string[]): { args?: ServeArgs; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        'auth-port': { type: 'string' },
        'acct-port': { type: 'string' },
        'admin-port': { type: 'string' },
        'log-level': { type: 'string', default: 'info' },
      },
      strict: true,
    }).values;
  } catch (error) {
    return {
      issues: [
        { field: 'arguments', message: (error as Error).message, fix: serveUsage.split('\n')[0] ?? '' },
      ],
    };
  }
  const port = (name: string): number | undefined => {
    const text = values[name];
    if (typeof text !== 'string') return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      issues.push({
        field: `--${name}`,
        message: `"${text}" is not a port number`,
        fix: 'give a number from 0 (ephemeral) to 65535',
      });
      return undefined;
    }
    return n;
  };
  const authPort = port('auth-port');
  const acctPort = port('acct-port');
  const adminPort = port('admin-port');
  let logLevel = typeof values['log-level'] === 'string' ? values['log-level'] : 'info';
  // pino throws on a level it does not know; that is a usage mistake, not a crash.
  if (!logLevels.includes(logLevel)) {
    issues.push({
      field: '--log-level',
      message: `"${logLevel}" is not a log level`,
      fix: `use one of ${logLevels.join(', ')}`,
    });
    logLevel = 'info';
  }
  const args: ServeArgs = {
    ...(typeof values.config === 'string' ? { config: values.config } : {}),
    ...(typeof values.host === 'string' ? { host: values.host } : {}),
    ...(authPort !== undefined ? { authPort } : {}),
    ...(acctPort !== undefined ? { acctPort } : {}),
    ...(adminPort !== undefined ? { adminPort } : {}),
    logLevel,
  };
  return { args, issues };
}

/** Config from the file (or the embedded default) with command-line overrides applied. */
export function resolveServeConfig(
  args: ServeArgs,
): { ok: true; config: ServerConfig } | { ok: false; issues: readonly ConfigIssue[] } {
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
  return result.ok ? { ok: true, config: result.config } : result;
}

export async function runServe(argv: readonly string[], signal?: AbortSignal): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${serveUsage}\n`);
    return ExitCode.Ok;
  }
  const parsed = parseServeArgs(argv);
  const resolved = parsed.args !== undefined ? resolveServeConfig(parsed.args) : undefined;
  const issues = [...parsed.issues, ...(resolved !== undefined && !resolved.ok ? resolved.issues : [])];
  if (parsed.args === undefined || resolved === undefined || !resolved.ok || issues.length > 0) {
    process.stderr.write(`radmfa serve: invalid configuration\n${formatConfigIssues(issues)}\n`);
    return ExitCode.InvalidConfig;
  }
  const { config } = resolved;
  const log = pino({ level: parsed.args.logLevel, base: { service: 'radmfa' } }, pino.destination(2));
  const events = new ServerEvents();
  attachLogging(events, log);
  let stack: Stack | undefined;
  const metrics = attachMetrics(events, () => stack?.server);
  try {
    stack = await startStack(config, { events });
  } catch (error) {
    log.error({ event: 'start-failed', error: (error as Error).message }, 'could not start');
    process.stderr.write(`radmfa serve: could not start: ${(error as Error).message}\n`);
    return ExitCode.Failure;
  }
  if (config.mfa.failMode === 'fail-open') {
    log.warn(
      { event: 'fail-open' },
      'MFA FAIL-OPEN MODE: logins are accepted without a second factor when the MFA service fails',
    );
  }
  let admin: Awaited<ReturnType<typeof startAdminServer>> | undefined;
  try {
    admin =
      config.admin !== undefined
        ? await startAdminServer(config.admin.host, config.admin.port, metrics, () => ({
            auth: stack?.server.endpoints('auth'),
            acct: stack?.server.endpoints('acct'),
            inFlight: stack?.server.stats().inFlight,
          }))
        : undefined;
  } catch (error) {
    // A busy admin port is a start failure like a busy RADIUS port: say so and release the sockets.
    log.error({ event: 'start-failed', error: (error as Error).message }, 'could not start the admin port');
    process.stderr.write(`radmfa serve: could not start the admin port: ${(error as Error).message}\n`);
    await stack.close();
    log.flush();
    return ExitCode.Failure;
  }
  const adminAddress = admin?.address();
  process.stdout.write(
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
    })}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  await stack.close();
  await new Promise<void>((resolve) => (admin ? admin.close(() => resolve()) : resolve()));
  log.flush();
  return ExitCode.Ok;
}
