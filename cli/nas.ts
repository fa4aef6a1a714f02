import { isIP } from 'node:net';
import { createInterface } from 'node:readline/promises';
import {
  defaultDictionary,
  encodeAttributes,
  formatAttribute,
  type AttributeInput,
} from '../protocol/index.ts';
import { SystemClock, type Clock } from '../runtime/clock.ts';
import type { Transport } from '../runtime/transport.ts';
import { UdpTransport } from '../runtime/udp-transport.ts';
import { formatIssues, type IssueCollector } from '../runtime/validation/index.ts';
import {
  createNas,
  formatTrace,
  loginMethods,
  nasDefaults,
  nasProfileNames,
  NasConfigError,
  type ChallengeResponder,
  type LoginMethod,
  type LoginResult,
  type Nas,
  type RetryPolicyInput,
  type StatusServerResult,
} from '../simulators/nas/index.ts';
import { defineCommand, processIo, type CommandIo } from './command-line.ts';
import { ExitCode } from './exit-codes.ts';

export interface NasArgs {
  readonly servers: readonly { host: string; port: number }[];
  readonly secret: string;
  readonly user: string;
  readonly password: string;
  readonly method: LoginMethod;
  readonly otp?: string;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly profile?: string;
  readonly naive: boolean;
  readonly attributes: readonly AttributeInput[];
  readonly status: boolean;
  readonly trace: boolean;
  readonly json: boolean;
}

/**
 * Attributes every Access-Request carries unless `--attr` replaces them (the README lists them).
 * NAS-Identifier also goes on Status-Server.
 */
export const defaultRequestAttributes: readonly AttributeInput[] = [
  { name: 'NAS-Identifier', value: nasDefaults.nasIdentifier },
  { name: 'NAS-Port-Type', value: nasDefaults.nasPortType },
];

/** Set by the login itself from --user, --password, --method and the server's State. */
const loginOwnedAttributes: Readonly<Record<string, string>> = {
  'user-name': '--user',
  'user-password': '--password',
  'chap-password': '--password with --method chap',
  'chap-challenge': '--method chap',
  'ms-chap-challenge': '--method mschapv2',
  'ms-chap2-response': '--method mschapv2',
  'eap-message': '--method eap-md5 or eap-mschapv2',
  'message-authenticator': 'the NAS (it is always sent first)',
  state: 'the server (it is echoed from an Access-Challenge)',
};

/** `HOST[:PORT]`, IPv6 as `[::1]:1812`; a problem is an issue on `field`. */
export function parseServer(
  text: string,
  field: string,
  issues: IssueCollector,
): { host: string; port: number } | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const [host, portText] =
    bracketed !== null
      ? [bracketed[1] ?? '', bracketed[2]]
      : isIP(text) === 6
        ? [text, undefined]
        : text.split(':');
  const resolvedHost = host === 'localhost' ? '127.0.0.1' : (host ?? '');
  if (isIP(resolvedHost) === 0) {
    issues.add(
      field,
      `"${text}" is not an IP address`,
      'give an address such as 127.0.0.1:1812 or [::1]:1812',
    );
    return undefined;
  }
  const port = portText === undefined ? 1812 : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    issues.add(field, `port "${portText}" is not valid`, 'use 1..65535');
    return undefined;
  }
  return { host: resolvedHost, port };
}

/** `NAME=VALUE` checked against the dictionary, so a typo is a usage error rather than a failed send. */
export function parseAttribute(pair: string, issues: IssueCollector): AttributeInput | undefined {
  const eq = pair.indexOf('=');
  if (eq <= 0) {
    issues.add('--attr', `"${pair}" is not NAME=VALUE`, 'write e.g. --attr Calling-Station-Id=10.1.2.3');
    return undefined;
  }
  const name = pair.slice(0, eq).trim();
  const raw = pair.slice(eq + 1);
  const spec = defaultDictionary.byNameOrUndefined(name);
  if (spec === undefined) {
    issues.add(
      '--attr',
      `"${name}" is not an attribute radmfa's dictionary knows`,
      'use a dictionary name such as Calling-Station-Id, Called-Station-Id, NAS-Port or Framed-IP-Address (names as in FreeRADIUS, case-insensitive)',
    );
    return undefined;
  }
  const owner = loginOwnedAttributes[spec.name.toLowerCase()];
  if (owner !== undefined) {
    issues.add('--attr', `${spec.name} is set by ${owner}`, `remove --attr ${spec.name}=...; use ${owner}`);
    return undefined;
  }
  const numeric =
    (spec.dataType === 'integer' || spec.dataType === 'integer64' || spec.dataType === 'date') &&
    /^\d+$/.test(raw);
  const input: AttributeInput = { name: spec.name, value: numeric ? Number(raw) : raw };
  try {
    // Encoding now is the only complete check of a value (ranges, named values, addresses).
    encodeAttributes([input], { secret: 'check', requestAuthenticator: Buffer.alloc(16) });
  } catch (error) {
    const named =
      spec.values !== undefined ? ` or one of ${Object.keys(spec.values).slice(0, 8).join(', ')}` : '';
    issues.add(
      '--attr',
      `"${raw}" is not a valid ${spec.dataType} value for ${spec.name}: ${(error as Error).message}`,
      `give a value of type ${spec.dataType}${named}`,
    );
    return undefined;
  }
  return input;
}

/** Attributes a request carries once; given twice with --attr, which one was meant is unclear. */
const singleValued = ['NAS-Identifier', 'NAS-Port-Type', 'NAS-IP-Address'];

/** --attr pairs and --nas-ip as request attributes, each mistake an issue. */
export function requestAttributes(
  pairs: readonly string[],
  nasIp: string | undefined,
  issues: IssueCollector,
): AttributeInput[] {
  const attributes = pairs.flatMap((pair) => parseAttribute(pair, issues) ?? []);
  for (const name of singleValued) {
    if (attributes.filter((a) => a.name === name).length > 1)
      issues.add('--attr', `${name} is given more than once`, `give --attr ${name}=... once`);
  }
  if (nasIp === undefined) return attributes;
  if (isIP(nasIp) !== 4) {
    issues.add('--nas-ip', `"${nasIp}" is not an IPv4 address`, 'give e.g. --nas-ip 10.0.0.1');
  } else if (attributes.some((a) => a.name === 'NAS-IP-Address')) {
    issues.add('--nas-ip', 'and --attr NAS-IP-Address both set NAS-IP-Address', 'give one of them');
  } else {
    attributes.push({ name: 'NAS-IP-Address', value: nasIp });
  }
  return attributes;
}

/**
 * The NAS's profile and policy options: no --profile and no timing flags means the documented
 * default, rfc5080; --timeout/--retries alone mean a fixed policy (`custom`).
 */
export function nasPolicyOptions(args: Pick<NasArgs, 'profile' | 'timeoutMs' | 'retries' | 'naive'>): {
  profile?: string;
  policy?: RetryPolicyInput;
} {
  const timing = args.timeoutMs !== undefined || args.retries !== undefined;
  const overrides: RetryPolicyInput = {
    ...(args.timeoutMs !== undefined ? { timeoutMs: args.timeoutMs } : {}),
    ...(args.retries !== undefined ? { retries: args.retries } : {}),
    ...(timing && args.profile === undefined ? { kind: 'fixed' as const } : {}),
    ...(args.naive ? { retransmission: 'naive' as const } : {}),
  };
  const hasOverrides = Object.keys(overrides).length > 0;
  // createNas reads "policy without profile" as custom: name rfc5080 when only --naive changes it.
  const profile = args.profile ?? (hasOverrides && !timing ? 'rfc5080' : undefined);
  return {
    ...(profile !== undefined ? { profile } : {}),
    ...(hasOverrides ? { policy: overrides } : {}),
  };
}

export function createCliNas(args: NasArgs, transport: Transport, clock: Clock): Nas {
  const replaced = new Set(args.attributes.map((a) => a.name.toLowerCase()));
  return createNas({
    transport,
    clock,
    servers: args.servers.map((s) => ({ ...s, secret: args.secret })),
    ...nasPolicyOptions(args),
    // --attr NAS-Identifier=... / NAS-Port-Type=... replaces the NAS's own instead of adding a second.
    ...(replaced.has('nas-identifier') ? { nasIdentifier: null } : {}),
    ...(replaced.has('nas-port-type') ? { nasPortType: null } : {}),
    accessAttributes: args.attributes,
  });
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

/**
 * MPPE keys that differ from the ones this side derives from the password: the server said yes, but a
 * real NAS could not bring up the encrypted tunnel with them (RFC 3079 3), so the login is not ok.
 */
function mppeKeysMismatch(result: Pick<LoginResult, 'mppeKeys'>): boolean {
  return result.mppeKeys?.matchesExpected === false;
}

const MPPE_MISMATCH_MESSAGE = [
  'MPPE keys do not match: the MS-MPPE-Send-Key and MS-MPPE-Recv-Key in the Access-Accept differ from the',
  'keys derived from this password (RFC 3079 3). A VPN client could not bring up the encrypted tunnel, so',
  'the login does not count as ok (exit 1). Check how the server derives the keys for this method.',
].join('\n');

function exitCodeOf(result: Pick<LoginResult, 'outcome' | 'mppeKeys'>): number {
  switch (result.outcome) {
    case 'accept':
      return mppeKeysMismatch(result) ? ExitCode.Failure : ExitCode.Ok;
    case 'reject':
      return ExitCode.Rejected;
    case 'timeout':
    case 'error':
      return ExitCode.NoAnswer;
  }
}

/**
 * A client cannot tell a stopped server, a wrong secret and a NAS the server does not know apart:
 * all three are silence (RFC 2865 3: a request with a bad secret is silently discarded).
 */
export function noAnswerHints(servers: NasArgs['servers']): string[] {
  const where = servers.map((s) => (isIP(s.host) === 6 ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`));
  return [
    'No answer. Check, in this order:',
    `  1. the server is up and listening at ${where.join(', ')} (UDP; radmfa serve prints its ports when it starts)`,
    '  2. the shared secret (--secret) is the one the server has for this client: a RADIUS server drops a',
    '     request with a wrong secret without answering (radmfa serve logs it as a dropped packet)',
    "  3. this address is a client of the server (its clients table; FreeRADIUS's clients.conf)",
  ];
}

/** Why a code prompt went unanswered without a terminal, and the two ways to answer one. */
export function challengeHints(result: LoginResult): string[] {
  const prompt = result.replyMessages[0] !== undefined ? ` ("${result.replyMessages[0]}")` : '';
  return [
    `The server asked for a code${prompt} and there is no terminal to type it at (stdin is not a TTY).`,
    '  - A code known beforehand (app code, OATH token): pass it with --otp CODE; for the demo',
    '    tenant\'s bob: --otp "$(oathtool --totp -b JBSWY3DPEHPK3PXP)".',
    "  - An SMS code (the demo tenant's erin) exists only once the server has sent it: run radmfa nas",
    "    at a terminal and, at the prompt, read the code from the MFA mock's SMS outbox:",
    '    GET /_admin/sms?user=erin@radmfa.test on the mock (the "mfa" URL in radmfa serve\'s started line).',
  ];
}

/** A prompt was shown to nobody: no --otp and no terminal (an empty answer at a terminal is a choice). */
function unansweredWithoutTerminal(result: LoginResult, args: NasArgs): boolean {
  return (
    result.error?.code === 'challenge-unanswered' && args.otp === undefined && process.stdin.isTTY !== true
  );
}

function printLogin(result: LoginResult, args: NasArgs, io: CommandIo): void {
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
  io.out(`${lines.join('\n')}\n`);
  if (result.outcome === 'timeout') io.err(`${noAnswerHints(args.servers).join('\n')}\n`);
  if (unansweredWithoutTerminal(result, args)) io.err(`${challengeHints(result).join('\n')}\n`);
}

function printStatus(result: StatusServerResult, args: NasArgs, io: CommandIo): void {
  const answer = result.replyCodeLabel !== undefined ? ` (${result.replyCodeLabel})` : '';
  const lines = [`Status-Server: ${result.outcome}${answer} in ${result.totalTimeMs} ms`];
  if (result.error !== undefined) lines.push(`  error: ${result.error.code}: ${result.error.message}`);
  if (args.trace) lines.push(formatTrace(result.trace));
  io.out(`${lines.join('\n')}\n`);
  if (result.outcome === 'timeout') io.err(`${noAnswerHints(args.servers).join('\n')}\n`);
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

/** Runs the parsed command over a transport and clock (UDP and the system clock from the CLI). */
export async function runNasWith(
  args: NasArgs,
  io: CommandIo,
  transport: Transport = new UdpTransport(),
  clock: Clock = new SystemClock(),
): Promise<number> {
  let nas: Nas;
  try {
    nas = createCliNas(args, transport, clock);
  } catch (error) {
    if (!(error instanceof NasConfigError)) throw error;
    io.err(`radmfa nas: invalid settings\n${formatIssues(error.issues)}\n`);
    return ExitCode.Usage;
  }
  try {
    if (args.status) {
      // The user may name an accounting port: an Accounting-Response answers there (RFC 5997 3).
      const result = await nas.statusServer({ answers: 'either' });
      if (args.json) io.out(`${toJson({ ...result, trace: args.trace ? result.trace : undefined })}\n`);
      else printStatus(result, args, io);
      return result.outcome === 'ok' ? ExitCode.Ok : ExitCode.NoAnswer;
    }
    const result = await nas.login({
      method: args.method,
      user: args.user,
      password: args.password,
      challengeResponder: responder(args),
    });
    if (args.json) {
      io.out(`${toJson({ ...result, trace: args.trace ? result.trace : undefined })}\n`);
      if (result.outcome === 'timeout') io.err(`${noAnswerHints(args.servers).join('\n')}\n`);
      if (unansweredWithoutTerminal(result, args)) io.err(`${challengeHints(result).join('\n')}\n`);
    } else printLogin(result, args, io);
    if (result.outcome === 'accept' && mppeKeysMismatch(result)) io.err(`${MPPE_MISMATCH_MESSAGE}\n`);
    return exitCodeOf(result);
  } finally {
    await nas.close();
  }
}

export const nasCommand = defineCommand({
  name: 'nas',
  summary: 'log in once as a simulated VPN server (like radtest)',
  description: `Logs in once as a simulated VPN server (radmfa's radtest / rad_eap_test) and prints the outcome,
the reply attributes and the timing. Every Access-Request carries NAS-Identifier = "${nasDefaults.nasIdentifier}" and
NAS-Port-Type = ${nasDefaults.nasPortType}; --attr with either name replaces it.`,
  flags: {
    server: {
      type: 'string',
      required: true,
      placeholder: 'HOST[:PORT]',
      help: 'RADIUS server (IPv6 as [::1]:1812); default port 1812',
    },
    secondary: {
      type: 'string',
      repeatable: true,
      placeholder: 'HOST[:PORT]',
      help: 'server to fail over to',
    },
    secret: { type: 'string', required: true, placeholder: 'S', help: 'shared secret' },
    user: { type: 'string', placeholder: 'U', help: 'user name (required unless --status)' },
    password: { type: 'string', placeholder: 'P', help: 'password (required unless --status)' },
    method: { type: 'choice', choices: loginMethods, default: 'pap', help: 'authentication method' },
    otp: {
      type: 'string',
      placeholder: 'CODE',
      help: 'answer an Access-Challenge (MFA code prompt) with CODE; without it, a terminal prompts',
    },
    timeout: {
      type: 'number',
      min: 0.001,
      max: 3600,
      placeholder: 'S',
      help: "seconds per try (default: the profile's)",
    },
    retries: {
      type: 'integer',
      min: 0,
      max: 100,
      help: "retransmissions after the first try (default: the profile's)",
    },
    profile: {
      type: 'choice',
      choices: nasProfileNames,
      placeholder: 'NAME',
      help: 'NAS vendor profile (default rfc5080; custom when only --timeout/--retries are given)',
    },
    naive: {
      type: 'boolean',
      help: 'build a new request per retry (new Identifier) instead of RFC 5080 retransmission',
    },
    nasIp: { type: 'string', placeholder: 'ADDR', help: 'send NAS-IP-Address (for IP_WHITELIST checks)' },
    attr: {
      type: 'string',
      repeatable: true,
      placeholder: 'NAME=VALUE',
      help: 'attribute on the Access-Request; replaces NAS-Identifier or NAS-Port-Type',
    },
    status: {
      type: 'boolean',
      help: 'send Status-Server instead of logging in (an authentication or accounting port)',
    },
    trace: { type: 'boolean', help: 'print the packet trace' },
    json: { type: 'boolean', help: 'print the result as JSON' },
  },
  exits: [
    [ExitCode.Ok, 'Access-Accept (with --status: the server answered)'],
    [ExitCode.Rejected, 'Access-Reject, or an Access-Accept whose MPPE keys do not match the password'],
    [ExitCode.NoAnswer, 'no answer after every retransmission (or a protocol error)'],
    [ExitCode.Usage, 'usage or configuration error; each problem is printed with its field and the fix'],
  ],
  prepare: ({ values, issues }): NasArgs => {
    const status = values.status === true;
    if (!status && values.user === undefined) issues.add('--user', 'is required', 'give --user NAME');
    if (!status && values.password === undefined)
      issues.add('--password', 'is required', 'give --password SECRET');
    const primary = values.server !== undefined ? parseServer(values.server, '--server', issues) : undefined;
    const secondaries = (values.secondary ?? []).map((s) => parseServer(s, '--secondary', issues));
    const attributes = requestAttributes(values.attr ?? [], values.nasIp, issues);
    return {
      servers: [primary, ...secondaries].filter((s) => s !== undefined),
      secret: values.secret ?? '',
      user: values.user ?? '',
      password: values.password ?? '',
      method: values.method ?? 'pap',
      ...(values.otp !== undefined ? { otp: values.otp } : {}),
      ...(values.timeout !== undefined ? { timeoutMs: Math.round(values.timeout * 1000) } : {}),
      ...(values.retries !== undefined ? { retries: values.retries } : {}),
      ...(values.profile !== undefined ? { profile: values.profile } : {}),
      naive: values.naive === true,
      attributes,
      status,
      trace: values.trace === true,
      json: values.json === true,
    };
  },
  run: (args, io) => runNasWith(args, io),
});

/** `radmfa nas ARGS` (kept for callers that run one command directly). */
export function runNas(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  return nasCommand.execute(argv, io);
}
