// Drives FreeRADIUS's command-line clients (radclient, radtest) as an independent RADIUS peer and
// parses what they print with -x: "Received <Code> Id N from ... length L" followed by one
// tab-indented "Name = value" line per attribute.
import { runProcess, toolPath, type ProcessResult } from './tools.ts';

export type RadclientCommand = 'auth' | 'acct' | 'status' | 'coa' | 'disconnect';

/** A value as FreeRADIUS's text syntax reads it; see formatAttributeValue. */
export type AttributeValue = string | number;

/**
 * Attributes to send: either ready-made lines (`'MS-CHAP-Challenge = 0x...'`, used verbatim) or a
 * record whose values are formatted with formatAttributeValue (arrays repeat the attribute).
 */
export type AttributeInput =
  readonly string[] | Readonly<Record<string, AttributeValue | readonly AttributeValue[]>>;

export interface RadiusPeerAddress {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
}

export interface RadclientOptions extends RadiusPeerAddress {
  readonly command: RadclientCommand;
  readonly attributes: AttributeInput;
  /** Seconds radclient waits for a reply per try (-t, fractions allowed). Default 2. */
  readonly timeoutSeconds?: number;
  /** Total sends per packet including retransmissions (radclient's -r counts tries; >= 1). Default 1. */
  readonly tries?: number;
  /** Send the packet this many times (-c). Default 1. */
  readonly count?: number;
  /** Extra radclient flags, placed before the server argument. */
  readonly extraArgs?: readonly string[];
}

export interface RadclientReply {
  /** Packet code name as radclient prints it: Access-Accept, Access-Reject, Accounting-Response, ... */
  readonly code: string;
  readonly id: number;
  /** Attribute values, quotes removed from strings; hex octets stay as `0x...`. */
  readonly attributes: Readonly<Record<string, string[]>>;
}

export interface RadclientResult {
  /** Code of the first reply, or 'no-reply' when none arrived (lost, or a send/parse error). */
  readonly code: string;
  /** Attributes of the first reply (empty without a reply). */
  readonly attributes: Readonly<Record<string, string[]>>;
  /** Every reply in order (more than one with `count` > 1). */
  readonly replies: readonly RadclientReply[];
  /** radclient's exit status: 0 when every request got the expected reply; 1 otherwise. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

const OCTETS = /^0x[0-9a-fA-F]*$/;

/**
 * FreeRADIUS text syntax for one value: numbers and `0x` hex (octets) bare; everything else double-quoted
 * with backslash escapes. FreeRADIUS parses a quoted value by the attribute's dictionary type, so
 * quoted integers, IP addresses and enumerated names ("Framed-User") are read correctly.
 */
export function formatAttributeValue(value: AttributeValue): string {
  if (typeof value === 'number') return String(value);
  if (OCTETS.test(value)) return value;
  const escaped = value
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replaceAll('\t', '\\t');
  return `"${escaped}"`;
}

/** Attribute lines (`Name = value`) for an AttributeInput. */
export function attributeLines(input: AttributeInput): string[] {
  if (isAttributeLineList(input)) return [...input];
  return attributePairs(input).flatMap(([name, values]) =>
    values.map((value) => `${name} = ${formatAttributeValue(value)}`),
  );
}

/** True for the line form of AttributeInput. */
export function isAttributeLineList(input: AttributeInput): input is readonly string[] {
  return Array.isArray(input);
}

/** The record form of AttributeInput as [name, values] pairs, in insertion order. */
export function attributePairs(
  record: Readonly<Record<string, AttributeValue | readonly AttributeValue[]>>,
): [string, AttributeValue[]][] {
  return Object.entries(record).map(([name, value]) => [name, isValueList(value) ? [...value] : [value]]);
}

function isValueList(value: AttributeValue | readonly AttributeValue[]): value is readonly AttributeValue[] {
  return Array.isArray(value);
}

/** `host:port`, bracketing IPv6 literals as radclient expects. */
export function serverArgument(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const RECEIVED = /^Received (\S+) Id (\d+) from /;
const ATTRIBUTE = /^\t(\S+) = (.*)$/;

function unquote(raw: string): string {
  if (raw.length < 2 || !raw.startsWith('"') || !raw.endsWith('"')) return raw;
  return raw.slice(1, -1).replace(/\\([0-7]{3}|.)/g, (_match, escape: string) => {
    if (escape.length === 3) return String.fromCharCode(parseInt(escape, 8));
    switch (escape) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      default:
        return escape;
    }
  });
}

/** Parses radclient/radtest -x output into the replies it received (Sent blocks are ignored). */
export function parseRadclientOutput(stdout: string): RadclientReply[] {
  const replies: { code: string; id: number; attributes: Record<string, string[]> }[] = [];
  let current: { code: string; id: number; attributes: Record<string, string[]> } | undefined;
  for (const line of stdout.split('\n')) {
    const received = RECEIVED.exec(line);
    if (received !== null) {
      current = { code: received[1] ?? '', id: Number(received[2]), attributes: {} };
      replies.push(current);
      continue;
    }
    const attribute = ATTRIBUTE.exec(line);
    if (attribute !== null && current !== undefined) {
      const name = attribute[1] ?? '';
      const values = (current.attributes[name] ??= []);
      values.push(unquote(attribute[2] ?? ''));
      continue;
    }
    // Any other line (a Sent header, a "(0) ..." notice) ends the attribute list of a reply.
    current = undefined;
  }
  return replies;
}

function toResult(run: ProcessResult): RadclientResult {
  const replies = parseRadclientOutput(run.stdout);
  const first = replies[0];
  return {
    code: first?.code ?? 'no-reply',
    attributes: first?.attributes ?? {},
    replies,
    exitCode: run.exitCode,
    stdout: run.stdout,
    stderr: run.stderr,
    timedOut: run.timedOut,
  };
}

/** Sends one request (or `count` copies) with radclient and parses the reply. */
export async function runRadclient(options: RadclientOptions): Promise<RadclientResult> {
  const timeoutSeconds = options.timeoutSeconds ?? 2;
  const tries = Math.max(1, Math.floor(options.tries ?? 1));
  const count = options.count ?? 1;
  const args = [
    '-x',
    '-t',
    String(timeoutSeconds),
    '-r',
    String(tries),
    '-c',
    String(count),
    ...(options.extraArgs ?? []),
    serverArgument(options.host, options.port),
    options.command,
    options.secret,
  ];
  const stdin = `${attributeLines(options.attributes).join('\n')}\n`;
  // radclient's own bound is timeout x tries per packet; give it slack before killing it.
  const timeoutMs = Math.ceil(timeoutSeconds * tries * count * 1000) + 5000;
  return toResult(await runProcess(toolPath('radclient'), args, { stdin, timeoutMs }));
}

/** Status-Server (RFC 5997) with the Message-Authenticator it requires; radclient computes it from 0x00. */
export function sendStatusServer(
  peer: RadiusPeerAddress,
  options: { readonly timeoutSeconds?: number; readonly tries?: number } = {},
): Promise<RadclientResult> {
  return runRadclient({
    ...peer,
    ...options,
    command: 'status',
    attributes: ['Message-Authenticator = 0x00'],
  });
}

/** radtest's methods; note that `mschap` is MS-CHAP v1 (RFC 2433), not v2. */
export type RadtestMethod = 'pap' | 'chap' | 'mschap' | 'eap-md5';

export interface RadtestOptions extends RadiusPeerAddress {
  readonly method: RadtestMethod;
  readonly user: string;
  readonly password: string;
  /** NAS-Port sent by radtest. Default 0. */
  readonly nasPort?: number;
  /** Kill radtest after this long; it has no timeout flag (radclient's defaults: 3 tries x 5 s). */
  readonly timeoutMs?: number;
}

/** Runs `radtest -t METHOD user password host:port nasPort secret` and parses the reply. */
export async function runRadtest(options: RadtestOptions): Promise<RadclientResult> {
  const args = [
    '-t',
    options.method,
    options.user,
    options.password,
    serverArgument(options.host, options.port),
    String(options.nasPort ?? 0),
    options.secret,
  ];
  const timeoutMs = options.timeoutMs ?? 25_000;
  return toResult(await runProcess(toolPath('radtest'), args, { timeoutMs }));
}
