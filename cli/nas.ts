import { isIP } from 'node:net';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { formatAttribute, type AttributeInput } from '../protocol/index.ts';
import { SystemClock } from '../runtime/clock.ts';
import { UdpTransport } from '../runtime/udp-transport.ts';
import {
  createNas,
  formatTrace,
  isNasProfileName,
  loginMethods,
  nasProfileNames,
  NasConfigError,
  type ChallengeResponder,
  type LoginMethod,
  type LoginResult,
  type Nas,
} from '../simulators/nas/index.ts';
import { ExitCode, UsageError } from './exit-codes.ts';

export const nasUsage = `radmfa nas --server HOST[:PORT] --secret S --user U --password P [options]

Logs in once as a simulated VPN server (radmfa's radtest / rad_eap_test) and prints the outcome,
the reply attributes and the timing.

  --server HOST[:PORT]     RADIUS server (IPv6 as [::1]:1812); default port 1812
  --secondary HOST[:PORT]  server to fail over to (repeatable)
  --secret S               shared secret
  --user U, --password P   credentials
  --method M               ${loginMethods.join(' | ')} (default pap)
  --otp CODE               answer an Access-Challenge (MFA code prompt) with CODE;
                           without it, a terminal prompts for the code
  --timeout S              seconds per try (default: the profile's)
  --retries N              retransmissions after the first try (default: the profile's)
  --profile NAME           NAS vendor profile: ${nasProfileNames.join(', ')}
  --naive                  build a new request per retry (new Identifier) instead of RFC 5080 retransmission
  --nas-ip ADDR            send NAS-IP-Address (for IP_WHITELIST checks)
  --attr NAME=VALUE        extra attribute on the Access-Request (repeatable)
  --status                 send Status-Server instead of logging in
  --trace                  print the packet trace
  --json                   print the result as JSON

Exit: 0 Access-Accept, 1 Access-Reject, 2 no answer, 3 usage or configuration error.`;

interface NasArgs {
  readonly servers: { host: string; port: number }[];
  readonly secret: string;
  readonly user: string;
  readonly password: string;
  readonly method: LoginMethod;
  readonly otp?: string;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly profile?: string;
  readonly naive: boolean;
  readonly attributes: AttributeInput[];
  readonly status: boolean;
  readonly trace: boolean;
  readonly json: boolean;
}

export function parseServer(text: string, field: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const [host, portText] =
    bracketed !== null
      ? [bracketed[1] ?? '', bracketed[2]]
      : isIP(text) === 6
        ? [text, undefined]
        : text.split(':');
  const resolvedHost = host === 'localhost' ? '127.0.0.1' : (host ?? '');
  if (isIP(resolvedHost) === 0) {
    throw new UsageError(
      field,
      `"${text}" is not an IP address`,
      'give an address such as 127.0.0.1:1812 or [::1]:1812',
    );
  }
  const port = portText === undefined ? 1812 : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(field, `port "${portText}" is not valid`, 'use 1..65535');
  return { host: resolvedHost, port };
}

function parseNasArgs(argv: readonly string[]): NasArgs {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        server: { type: 'string' },
        secondary: { type: 'string', multiple: true },
        secret: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        method: { type: 'string', default: 'pap' },
        otp: { type: 'string' },
        timeout: { type: 'string' },
        retries: { type: 'string' },
        profile: { type: 'string' },
        naive: { type: 'boolean', default: false },
        'nas-ip': { type: 'string' },
        attr: { type: 'string', multiple: true },
        status: { type: 'boolean', default: false },
        trace: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new UsageError('arguments', (error as Error).message, 'see radmfa nas --help');
  }
  if (values.server === undefined)
    throw new UsageError('--server', 'is required', 'give --server 127.0.0.1:1812');
  if (values.secret === undefined)
    throw new UsageError('--secret', 'is required', 'give the shared secret, e.g. --secret testing123');
  const status = values.status === true;
  if (!status && values.user === undefined) throw new UsageError('--user', 'is required', 'give --user NAME');
  if (!status && values.password === undefined)
    throw new UsageError('--password', 'is required', 'give --password SECRET');
  const method = values.method ?? 'pap';
  if (!(loginMethods as readonly string[]).includes(method)) {
    throw new UsageError('--method', `"${method}" is not a method`, `use one of ${loginMethods.join(', ')}`);
  }
  if (values.profile !== undefined && !isNasProfileName(values.profile)) {
    throw new UsageError(
      '--profile',
      `"${values.profile}" is not a profile`,
      `use one of ${nasProfileNames.join(', ')}`,
    );
  }
  const number = (text: string | undefined, field: string, min: number, max: number): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new UsageError(field, `"${text}" is out of range`, `give a number from ${min} to ${max}`);
    return n;
  };
  const timeout = number(values.timeout, '--timeout', 0.001, 3600);
  const retries = number(values.retries, '--retries', 0, 100);
  if (retries !== undefined && !Number.isInteger(retries))
    throw new UsageError('--retries', 'must be a whole number', 'give e.g. --retries 3');
  const attributes: AttributeInput[] = (values.attr ?? []).map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new UsageError(
        '--attr',
        `"${pair}" is not NAME=VALUE`,
        'write e.g. --attr Calling-Station-Id=10.1.2.3',
      );
    const raw = pair.slice(eq + 1);
    return { name: pair.slice(0, eq).trim(), value: /^\d+$/.test(raw) ? Number(raw) : raw };
  });
  if (values['nas-ip'] !== undefined) {
    if (isIP(values['nas-ip']) !== 4)
      throw new UsageError(
        '--nas-ip',
        `"${values['nas-ip']}" is not an IPv4 address`,
        'give e.g. --nas-ip 10.0.0.1',
      );
    attributes.push({ name: 'NAS-IP-Address', value: values['nas-ip'] });
  }
  return {
    servers: [
      parseServer(values.server, '--server'),
      ...(values.secondary ?? []).map((s) => parseServer(s, '--secondary')),
    ],
    secret: values.secret,
    user: values.user ?? '',
    password: values.password ?? '',
    method: method as LoginMethod,
    ...(values.otp !== undefined ? { otp: values.otp } : {}),
    ...(timeout !== undefined ? { timeoutMs: Math.round(timeout * 1000) } : {}),
    ...(retries !== undefined ? { retries } : {}),
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
    naive: values.naive === true,
    attributes,
    status,
    trace: values.trace === true,
    json: values.json === true,
  };
}

/** The user at the prompt: --otp when given, else a terminal question, else give up. */
function responder(args: NasArgs): ChallengeResponder {
  return async (challenge) => {
    if (args.otp !== undefined) return challenge.attempt === 1 ? args.otp : null;
    if (!process.stdin.isTTY) return null;
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`${challenge.replyMessage ?? 'Enter the verification code'}: `);
      return answer.trim() === '' ? null : answer.trim();
    } finally {
      rl.close();
    }
  };
}

function exitCodeOf(result: Pick<LoginResult, 'outcome'>): number {
  switch (result.outcome) {
    case 'accept':
      return ExitCode.Ok;
    case 'reject':
      return ExitCode.Rejected;
    case 'timeout':
      return ExitCode.NoAnswer;
    case 'error':
      return ExitCode.NoAnswer;
  }
}

function printLogin(result: LoginResult, args: NasArgs): void {
  const from = result.server !== undefined ? ` from ${result.server.host}:${result.server.port}` : '';
  const label = result.replyCodeLabel ?? (result.outcome === 'timeout' ? 'no answer' : result.outcome);
  const lines = [
    `${label}${from} for ${result.user} (${result.method}) in ${result.totalTimeMs} ms: ` +
      `${result.roundTrips} round trip(s), ${result.transmissions} datagram(s) sent, ${result.retransmissions} retransmission(s)` +
      (result.challenges > 0 ? `, ${result.challenges} challenge(s)` : ''),
    ...result.attributes
      .filter((a) => a.name !== 'Message-Authenticator')
      .map((a) => `  ${formatAttribute(a)}`),
  ];
  if (result.msChap2SuccessVerified !== undefined)
    lines.push(
      `  MS-CHAP2-Success authenticator response: ${result.msChap2SuccessVerified ? 'verified' : 'DID NOT VERIFY'}`,
    );
  if (result.error !== undefined) lines.push(`  error: ${result.error.code}: ${result.error.message}`);
  if (args.trace) lines.push(formatTrace(result.trace));
  process.stdout.write(`${lines.join('\n')}\n`);
}

function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (
        v !== null &&
        typeof v === 'object' &&
        (v as { type?: string }).type === 'Buffer' &&
        Array.isArray((v as { data?: unknown }).data)
      ) {
        return `0x${Buffer.from((v as { data: number[] }).data).toString('hex')}`;
      }
      return v;
    },
    2,
  );
}

export async function runNas(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${nasUsage}\n`);
    return ExitCode.Ok;
  }
  let args: NasArgs;
  let nas: Nas;
  try {
    args = parseNasArgs(argv);
    nas = createNas({
      transport: new UdpTransport(),
      clock: new SystemClock(),
      servers: args.servers.map((s) => ({ ...s, secret: args.secret })),
      ...(args.profile !== undefined ? { profile: args.profile } : {}),
      policy: {
        ...(args.timeoutMs !== undefined ? { timeoutMs: args.timeoutMs } : {}),
        ...(args.retries !== undefined ? { retries: args.retries } : {}),
        ...((args.timeoutMs !== undefined || args.retries !== undefined) && args.profile === undefined
          ? { kind: 'fixed' }
          : {}),
        ...(args.naive ? { retransmission: 'naive' } : {}),
      },
      accessAttributes: args.attributes,
    });
  } catch (error) {
    if (error instanceof UsageError || error instanceof NasConfigError) {
      process.stderr.write(`radmfa nas: ${error.message}\n`);
      return ExitCode.NasUsage;
    }
    throw error;
  }
  try {
    if (args.status) {
      const result = await nas.statusServer();
      if (args.json) process.stdout.write(`${toJson(result)}\n`);
      else process.stdout.write(`Status-Server: ${result.outcome} in ${result.totalTimeMs} ms\n`);
      return result.outcome === 'ok' ? ExitCode.Ok : ExitCode.NoAnswer;
    }
    const result = await nas.login({
      method: args.method,
      user: args.user,
      password: args.password,
      challengeResponder: responder(args),
    });
    if (args.json)
      process.stdout.write(`${toJson({ ...result, trace: args.trace ? result.trace : undefined })}\n`);
    else printLogin(result, args);
    return exitCodeOf(result);
  } finally {
    await nas.close();
  }
}
