// A throwaway FreeRADIUS 3.2 (Debian package) on loopback, as a real peer for integration tests:
// the simulated NAS points at it, and its accept/reject decisions are the reference the reference
// server is compared with. The packaged config is copied to a temp dir and edited there; the system
// config and service are never touched.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  attributePairs,
  formatAttributeValue,
  isAttributeLineList,
  type AttributeInput,
} from './radclient.ts';
import { IPV4_LOOPBACK, IPV6_LOOPBACK, canBindUdp, findFreeUdpPorts } from './ports.ts';
import { toolPath } from './tools.ts';

export const DEFAULT_FREERADIUS_CONFIG_DIR = '/etc/freeradius/3.0';
export const DEFAULT_SECRET = 'testing123';

export interface FreeRadiusUser {
  readonly name: string;
  /** Stored as Cleartext-Password, so PAP, CHAP, MS-CHAP v1/v2, EAP-MD5 and EAP-MSCHAPv2 all verify. */
  readonly password: string;
  /**
   * Reply items for an accepted login. Record form: the first value of a name uses `:=`, repeats use
   * `+=`, values formatted by formatAttributeValue. Line form: used verbatim (`'Class := 0x01'`).
   */
  readonly replyAttributes?: AttributeInput;
}

export interface FreeRadiusClient {
  /** Section name in clients.conf; derived from the address when absent. */
  readonly name?: string;
  /** IPv4 or IPv6 address (or CIDR) of the NAS. */
  readonly ipaddr: string;
  readonly secret: string;
  /** Drop Access-Requests without Message-Authenticator from this client. Default false. */
  readonly requireMessageAuthenticator?: boolean;
}

/**
 * rlm_ldap against a real directory, configured as FreeRADIUS documents for Active Directory: the
 * authorize section looks the user up (a search as the service account, which sets LDAP-UserDn),
 * and PAP is an LDAP bind as the user (`Auth-Type LDAP`), since AD never hands out a password. No
 * password attribute is read from the directory, so nothing else can decide.
 */
export interface FreeRadiusLdap {
  readonly host: string;
  readonly port: number;
  /** The service account rlm_ldap binds as for searches (`identity`). */
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly baseDn: string;
  /** `user.filter`, with FreeRADIUS expansions; default AD's sAMAccountName filter. */
  readonly userFilter?: string;
}

export const DEFAULT_LDAP_USER_FILTER =
  '(&(objectClass=user)(sAMAccountName=%{%{Stripped-User-Name}:-%{User-Name}}))';

export type FreeRadiusEapType = 'md5' | 'mschapv2' | 'peap' | 'ttls' | 'tls' | 'gtc';

export interface FreeRadiusOptions {
  readonly users: readonly FreeRadiusUser[];
  /** Secret of the default clients 127.0.0.1 and ::1. Default 'testing123'. Ignored when `clients` is set. */
  readonly secret?: string;
  /** Replaces the default clients (127.0.0.1 and ::1 with `secret`). */
  readonly clients?: readonly FreeRadiusClient[];
  /** Seconds FreeRADIUS holds an Access-Reject (security.reject_delay). Default 0; packaged value is 1. */
  readonly rejectDelaySeconds?: number;
  /** Also listen on ::1. Default: when ::1 can be bound here. */
  readonly ipv6?: boolean;
  /** SO_RCVBUF of the listening sockets (`recv_buff`); default the kernel's (net.core.rmem_default). */
  readonly recvBufferSize?: number;
  /** EAP method FreeRADIUS proposes first; a peer may NAK to another. Default 'md5' (packaged value). */
  readonly defaultEapType?: FreeRadiusEapType;
  /** Enable rlm_ldap against this directory, PAP by bind as the user (needs the freeradius-ldap package). */
  readonly ldap?: FreeRadiusLdap;
  /** Copy of this directory is the starting config. Default /etc/freeradius/3.0. */
  readonly sourceConfigDir?: string;
  /**
   * Last chance to edit the copied config dir before the server starts. Listen sections in
   * sites-available/default are replaced afterwards; everything else is kept.
   */
  readonly customize?: (configDir: string) => void;
  /** Bound on waiting for "Ready to process requests". Default 20 s. */
  readonly startTimeoutMs?: number;
  /** Fresh ports are tried this many times when a port was taken between probing and binding. Default 3. */
  readonly maxStartAttempts?: number;
}

export interface FreeRadiusInstance {
  /** IPv4 loopback the server listens on. */
  readonly host: string;
  /** Set when the server also listens on ::1 (same ports). */
  readonly ipv6Host?: string;
  readonly authPort: number;
  readonly acctPort: number;
  /** Secret of the default clients (or of the first configured client). */
  readonly secret: string;
  /** The temp config dir (removed by stop()). */
  readonly configDir: string;
  readonly pid: number;
  /** Terminates the server (SIGTERM, then SIGKILL after 5 s) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Everything the server printed so far (bounded to the last ~2 MB). */
  logs(): string;
}

export type FreeRadiusStartFailure = 'exited' | 'timeout' | 'bind-failed';

export class FreeRadiusStartError extends Error {
  readonly code = 'FREERADIUS_START_FAILED';
  constructor(
    readonly reason: FreeRadiusStartFailure,
    message: string,
    readonly logs: string,
  ) {
    super(message);
    this.name = 'FreeRadiusStartError';
  }
}

const READY_LINE = 'Ready to process requests';
const BIND_FAILURE = /Failed binding|Address already in use/i;
const MAX_LOG_CHARS = 2 * 1024 * 1024;
const STOP_GRACE_MS = 5000;

/**
 * Children still running when the test process exits are killed and their temp dirs removed, so no
 * daemon or config copy outlives a test run that ended without calling stop().
 */
const liveInstances = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function trackInstance(child: ChildProcess, dir: string): void {
  liveInstances.set(child, dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [running, configDir] of liveInstances) {
      running.kill('SIGKILL');
      rmSync(configDir, { recursive: true, force: true });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Config text generation and editing (pure functions, exported for unit tests).

/** The users file (mods-config/files/authorize): one entry per user, nothing else matches. */
export function renderUsersFile(users: readonly FreeRadiusUser[]): string {
  const entries = users.map((user) => {
    const header = `${formatAttributeValue(user.name)}\tCleartext-Password := ${formatAttributeValue(user.password)}`;
    const items = replyItems(user.replyAttributes);
    if (items.length === 0) return header;
    return `${header}\n${items.map((item) => `\t${item}`).join(',\n')}`;
  });
  return `# Generated by radmfa peers/freeradius.ts\n${entries.join('\n\n')}\n`;
}

function replyItems(input: AttributeInput | undefined): string[] {
  if (input === undefined) return [];
  if (isAttributeLineList(input)) return [...input];
  return attributePairs(input).flatMap(([name, values]) =>
    values.map((value, index) => `${name} ${index === 0 ? ':=' : '+='} ${formatAttributeValue(value)}`),
  );
}

/** clients.conf with exactly the given clients. */
export function renderClientsFile(clients: readonly FreeRadiusClient[]): string {
  const sections = clients.map((client, index) => {
    const isV6 = client.ipaddr.includes(':');
    const name = client.name ?? `client${index}_${client.ipaddr.replace(/[^0-9a-zA-Z]/g, '_')}`;
    return [
      `client ${name} {`,
      `\t${isV6 ? 'ipv6addr' : 'ipaddr'} = ${client.ipaddr}`,
      `\tsecret = ${formatAttributeValue(client.secret)}`,
      `\trequire_message_authenticator = ${client.requireMessageAuthenticator === true ? 'yes' : 'no'}`,
      `\tnas_type = other`,
      `}`,
    ].join('\n');
  });
  return `# Generated by radmfa peers/freeradius.ts\n${sections.join('\n\n')}\n`;
}

/** Listen sections for auth and acct on the loopback(s). */
export function renderListenSections(
  hosts: readonly string[],
  authPort: number,
  acctPort: number,
  recvBufferSize?: number,
): string {
  const recvBuff = recvBufferSize === undefined ? '' : `\n\trecv_buff = ${recvBufferSize}`;
  const sections: string[] = [];
  for (const host of hosts) {
    const addressKey = host.includes(':') ? 'ipv6addr' : 'ipaddr';
    for (const [type, port] of [
      ['auth', authPort],
      ['acct', acctPort],
    ] as const) {
      sections.push(`listen {\n\ttype = ${type}\n\t${addressKey} = ${host}\n\tport = ${port}${recvBuff}\n}`);
    }
  }
  return sections.join('\n');
}

function dropCommentLines(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n');
}

/** Index just past the `}` matching the `{` at `open`, skipping quoted strings and # comments. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (quote !== undefined) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if (ch === '#') {
      const eol = text.indexOf('\n', i);
      if (eol < 0) break;
      i = eol;
    } else if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new Error('unbalanced braces in FreeRADIUS config');
}

/**
 * Removes every `listen { ... }` section from a virtual server file and, when `replacement` is
 * given, inserts it right after the first `server NAME {` line. Comment-only lines are dropped
 * first so commented-out listen examples do not count.
 */
export function replaceListenSections(siteText: string, replacement?: string): string {
  let text = dropCommentLines(siteText);
  const listenStart = /^[ \t]*listen[ \t]*\{/m;
  for (let guard = 0; guard < 64; guard++) {
    const match = listenStart.exec(text);
    if (match === null) break;
    const end = matchingBrace(text, match.index + match[0].length - 1);
    text = text.slice(0, match.index) + text.slice(end);
  }
  if (replacement === undefined) return text;
  const server = /^server\s+[\w.-]+\s*\{[^\n]*\n/m.exec(text);
  if (server === null) throw new Error('no "server NAME {" section found');
  const at = server.index + server[0].length;
  return `${text.slice(0, at)}${replacement}\n${text.slice(at)}`;
}

export interface MainConfigEdits {
  readonly configDir: string;
  readonly rejectDelaySeconds: number;
  /** Keep `user = freerad` / `group = freerad` (only root can switch to them). */
  readonly dropPrivileges: boolean;
}

function replaceSetting(text: string, name: string, value: string): string {
  const pattern = new RegExp(`^([ \\t]*)${name}[ \\t]*=.*$`, 'm');
  if (!pattern.test(text)) throw new Error(`radiusd.conf has no "${name}" setting to replace`);
  return text.replace(pattern, (_line, indent: string) => `${indent}${name} = ${value}`);
}

/** radiusd.conf edits: own dirs, no proxying, configurable reject delay, Status-Server on. */
export function editMainConfig(text: string, edits: MainConfigEdits): string {
  let out = text;
  out = replaceSetting(out, 'raddbdir', edits.configDir);
  out = replaceSetting(out, 'logdir', path.join(edits.configDir, 'log'));
  out = replaceSetting(out, 'run_dir', path.join(edits.configDir, 'run'));
  // With proxying on, FreeRADIUS opens wildcard proxy sockets; loopback-only tests must not.
  out = replaceSetting(out, 'proxy_requests', 'no');
  out = replaceSetting(out, 'reject_delay', String(edits.rejectDelaySeconds));
  // RFC 5997: Status-Server answered on the auth port.
  out = replaceSetting(out, 'status_server', 'yes');
  out = replaceSetting(out, 'colourise', 'no');
  // Log Login OK / Login incorrect lines, so a failing test's logs() says what the server decided.
  out = replaceSetting(out, 'auth', 'yes');
  if (!edits.dropPrivileges) {
    out = out.replace(/^[ \t]*(user|group)[ \t]*=.*$/gm, '');
  }
  return out;
}

/** Sets the outer default_eap_type and checks that the EAP-MD5 and EAP-MSCHAPv2 sub-modules exist. */
export function editEapModule(text: string, defaultEapType: FreeRadiusEapType): string {
  const stripped = dropCommentLines(text);
  for (const method of ['md5', 'mschapv2']) {
    if (!new RegExp(`^[ \\t]*${method}[ \\t]*\\{`, 'm').test(stripped)) {
      throw new Error(`eap module config has no "${method} { }" section: EAP-${method} would be refused`);
    }
  }
  // The first default_eap_type is the eap module's own; later ones belong to ttls/peap (inner method).
  const pattern = /^([ \t]*)default_eap_type[ \t]*=.*$/m;
  if (!pattern.test(stripped)) throw new Error('eap module config has no default_eap_type');
  return stripped.replace(
    pattern,
    (_line, indent: string) => `${indent}default_eap_type = ${defaultEapType}`,
  );
}

/** A value inside single quotes in a FreeRADIUS config (literal, no expansion). */
function singleQuoted(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * mods-available/ldap for `ldap`: the packaged module's options and pool (which follow the thread
 * pool), with the server, service account, base and user filter set, and an empty update section
 * (the packaged one reads userPassword into control:Password-With-Header, which would let the pap
 * module decide instead of a bind).
 */
export function renderLdapModule(ldap: FreeRadiusLdap): string {
  return [
    '# Generated by radmfa peers/freeradius.ts',
    'ldap {',
    `\tserver = ${singleQuoted(ldap.host)}`,
    `\tport = ${ldap.port}`,
    `\tidentity = ${singleQuoted(ldap.bindDn)}`,
    `\tpassword = ${singleQuoted(ldap.bindPassword)}`,
    `\tbase_dn = ${singleQuoted(ldap.baseDn)}`,
    '\tuser_dn = "LDAP-UserDn"',
    '\tuser {',
    '\t\tbase_dn = "${..base_dn}"',
    `\t\tfilter = "${(ldap.userFilter ?? DEFAULT_LDAP_USER_FILTER).replace(/"/g, '\\"')}"`,
    '\t}',
    '\tgroup {',
    '\t\tbase_dn = "${..base_dn}"',
    "\t\tfilter = '(objectClass=group)'",
    "\t\tmembership_attribute = 'memberOf'",
    '\t}',
    '\toptions {',
    '\t\tchase_referrals = no',
    '\t\trebind = no',
    '\t\tres_timeout = 10',
    '\t\tsrv_timelimit = 3',
    '\t\tnet_timeout = 1',
    '\t\tidle = 60',
    '\t\tprobes = 3',
    '\t\tinterval = 3',
    '\t\tldap_debug = 0x0000',
    '\t}',
    '\tpool {',
    '\t\tstart = ${thread[pool].start_servers}',
    '\t\tmin = ${thread[pool].min_spare_servers}',
    '\t\tmax = ${thread[pool].max_servers}',
    '\t\tspare = ${thread[pool].max_spare_servers}',
    '\t\tuses = 0',
    '\t\tretry_delay = 30',
    '\t\tlifetime = 0',
    '\t\tidle_timeout = 60',
    '\t}',
    '}',
    '',
  ].join('\n');
}

/** The `NAME {` section of a virtual server: where its body starts and ends (at the closing brace). */
function sectionBody(text: string, name: string): { start: number; end: number } {
  const header = new RegExp(`^${name}[ \\t]*\\{[^\\n]*\\n`, 'm').exec(text);
  if (header === null) throw new Error(`no "${name} {" section in the virtual server`);
  const end = matchingBrace(text, header.index + header[0].indexOf('{')) - 1;
  return { start: header.index + header[0].length, end };
}

/**
 * The packaged default site with FreeRADIUS's documented AD recipe applied: `ldap` in authorize
 * (instead of the optional `-ldap`), followed by `Auth-Type := ldap` when it found the user and the
 * request has a User-Password; and the `Auth-Type LDAP { ldap }` block in authenticate.
 */
export function enableLdapBind(siteText: string): string {
  let text = dropCommentLines(siteText);
  const authorize = sectionBody(text, 'authorize');
  const body = text.slice(authorize.start, authorize.end);
  const optional = /^[ \t]*-ldap[ \t]*$/m;
  if (!optional.test(body)) throw new Error('the authorize section has no "-ldap" line to replace');
  const recipe = [
    '\tldap',
    '\tif ((ok || updated) && User-Password && !control:Auth-Type) {',
    '\t\tupdate control {',
    '\t\t\t&Auth-Type := ldap',
    '\t\t}',
    '\t}',
  ].join('\n');
  text = text.slice(0, authorize.start) + body.replace(optional, () => recipe) + text.slice(authorize.end);
  const authenticate = sectionBody(text, 'authenticate');
  return `${text.slice(0, authenticate.start)}\tAuth-Type LDAP {\n\t\tldap\n\t}\n${text.slice(authenticate.start)}`;
}

function configureLdap(dir: string, ldap: FreeRadiusLdap): void {
  const module = path.join(dir, 'mods-available', 'ldap');
  writeFileSync(module, renderLdapModule(ldap));
  symlinkSync('../mods-available/ldap', path.join(dir, 'mods-enabled', 'ldap'));
  const site = path.join(dir, 'sites-available', 'default');
  writeFileSync(site, enableLdapBind(readFileSync(site, 'utf8')));
}

// ---------------------------------------------------------------------------------------------
// Process management.

function boundedLog(): { append(chunk: string): void; text(): string } {
  let chunks: string[] = [];
  let size = 0;
  return {
    append(chunk: string) {
      chunks.push(chunk);
      size += chunk.length;
      while (size > MAX_LOG_CHARS && chunks.length > 1) size -= chunks.shift()?.length ?? 0;
    },
    text() {
      const joined = chunks.join('');
      chunks = [joined];
      return joined;
    },
  };
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, STOP_GRACE_MS)) return;
  child.kill('SIGKILL');
  await waitForExit(child, STOP_GRACE_MS);
}

type ReadyOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: FreeRadiusStartFailure };

/** Resolves when the ready line is printed, the process exits, or the bound expires. */
function waitUntilReady(
  child: ChildProcess,
  log: { text(): string },
  timeoutMs: number,
  onData: (listener: () => void) => () => void,
): Promise<ReadyOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: ReadyOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      child.off('exit', onExit);
      resolve(outcome);
    };
    const check = (): void => {
      if (log.text().includes(READY_LINE)) finish({ ok: true });
    };
    const onExit = (): void => {
      // Let the last stdout chunk arrive before classifying the failure.
      setImmediate(() =>
        finish({ ok: false, reason: BIND_FAILURE.test(log.text()) ? 'bind-failed' : 'exited' }),
      );
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout' }), timeoutMs);
    const unsubscribe = onData(check);
    child.once('exit', onExit);
    check();
  });
}

function defaultClients(secret: string, ipv6: boolean): FreeRadiusClient[] {
  const clients: FreeRadiusClient[] = [{ name: 'localhost', ipaddr: IPV4_LOOPBACK, secret }];
  if (ipv6) clients.push({ name: 'localhost_ipv6', ipaddr: IPV6_LOOPBACK, secret });
  return clients;
}

function prepareConfigDir(options: FreeRadiusOptions, ipv6: boolean): { dir: string; siteTemplate: string } {
  const source = options.sourceConfigDir ?? DEFAULT_FREERADIUS_CONFIG_DIR;
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-freeradius-'));
  try {
    // verbatimSymlinks keeps mods-enabled/* -> ../mods-available/* pointing inside the copy.
    cpSync(source, dir, { recursive: true, verbatimSymlinks: true });
    mkdirSync(path.join(dir, 'log', 'radacct'), { recursive: true });
    mkdirSync(path.join(dir, 'run'), { recursive: true });

    const isRoot = process.getuid?.() === 0;
    const mainPath = path.join(dir, 'radiusd.conf');
    writeFileSync(
      mainPath,
      editMainConfig(readFileSync(mainPath, 'utf8'), {
        configDir: dir,
        rejectDelaySeconds: options.rejectDelaySeconds ?? 0,
        dropPrivileges: isRoot,
      }),
    );

    const secret = options.secret ?? DEFAULT_SECRET;
    writeFileSync(
      path.join(dir, 'clients.conf'),
      renderClientsFile(options.clients ?? defaultClients(secret, ipv6)),
    );
    writeFileSync(path.join(dir, 'mods-config', 'files', 'authorize'), renderUsersFile(options.users));

    const eapPath = path.join(dir, 'mods-available', 'eap');
    writeFileSync(eapPath, editEapModule(readFileSync(eapPath, 'utf8'), options.defaultEapType ?? 'md5'));

    // inner-tunnel's debug listener has a fixed port (18120) that parallel instances would fight over;
    // PEAP/TTLS reach inner-tunnel internally, so it needs no socket.
    const innerPath = path.join(dir, 'sites-available', 'inner-tunnel');
    writeFileSync(innerPath, replaceListenSections(readFileSync(innerPath, 'utf8')));

    if (options.ldap !== undefined) configureLdap(dir, options.ldap);
    // Before the site is read, so edits to sites-available/default survive (its listen sections do not).
    options.customize?.(dir);
    const siteTemplate = replaceListenSections(
      readFileSync(path.join(dir, 'sites-available', 'default'), 'utf8'),
    );
    return { dir, siteTemplate };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** FreeRADIUS drops to user freerad after start-up; everything it reads later must be readable by it. */
function giveToFreerad(dir: string): void {
  if (process.getuid?.() !== 0) return;
  execFileSync('chown', ['-R', 'freerad:freerad', dir]);
}

/**
 * Starts FreeRADIUS (`freeradius -f -l stdout -d DIR`: threaded, foreground, never -X) on free
 * loopback ports and resolves once it prints "Ready to process requests".
 */
export async function startFreeRadius(options: FreeRadiusOptions): Promise<FreeRadiusInstance> {
  const binary = toolPath('freeradius');
  const ipv6 = options.ipv6 ?? (await canBindUdp(IPV6_LOOPBACK));
  const hosts = ipv6 ? [IPV4_LOOPBACK, IPV6_LOOPBACK] : [IPV4_LOOPBACK];
  const { dir, siteTemplate } = prepareConfigDir(options, ipv6);
  const secret = options.secret ?? options.clients?.[0]?.secret ?? DEFAULT_SECRET;
  const maxAttempts = options.maxStartAttempts ?? 3;
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  let lastError: FreeRadiusStartError | undefined;

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const [authPort, acctPort] = await findFreeUdpPorts(2, { hosts });
    if (authPort === undefined || acctPort === undefined)
      throw new Error('findFreeUdpPorts returned too few ports');
    const site = replaceListenSections(
      siteTemplate,
      renderListenSections(hosts, authPort, acctPort, options.recvBufferSize),
    );
    writeFileSync(path.join(dir, 'sites-available', 'default'), site);
    giveToFreerad(dir);

    const log = boundedLog();
    const listeners = new Set<() => void>();
    const child = spawn(binary, ['-f', '-l', 'stdout', '-d', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    trackInstance(child, dir);
    const onChunk = (chunk: Buffer): void => {
      log.append(chunk.toString('utf8'));
      for (const listener of listeners) listener();
    };
    child.stdout?.on('data', onChunk);
    child.stderr?.on('data', onChunk);
    const spawnError = new Promise<ReadyOutcome>((resolve) =>
      child.once('error', (error) => {
        log.append(`spawn error: ${error.message}\n`);
        resolve({ ok: false, reason: 'exited' });
      }),
    );

    const outcome = await Promise.race([
      waitUntilReady(child, log, startTimeoutMs, (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      }),
      spawnError,
    ]);

    if (outcome.ok) {
      let stopped: Promise<void> | undefined;
      const pid = child.pid ?? -1;
      return {
        host: IPV4_LOOPBACK,
        ...(ipv6 ? { ipv6Host: IPV6_LOOPBACK } : {}),
        authPort,
        acctPort,
        secret,
        configDir: dir,
        pid,
        logs: () => log.text(),
        stop: () => {
          stopped ??= (async () => {
            await terminate(child);
            liveInstances.delete(child);
            rmSync(dir, { recursive: true, force: true });
          })();
          return stopped;
        },
      };
    }

    await terminate(child);
    liveInstances.delete(child);
    const logs = log.text();
    const reason = outcome.reason;
    lastError = new FreeRadiusStartError(
      reason,
      `FreeRADIUS did not start (${reason}, attempt ${attempt}/${maxAttempts}, auth port ${authPort}, acct port ${acctPort}):\n${tail(logs, 40)}`,
      logs,
    );
    // Only a lost race for a port is worth another attempt; anything else would fail again.
    if (reason !== 'bind-failed') break;
  }

  rmSync(dir, { recursive: true, force: true });
  throw lastError ?? new FreeRadiusStartError('exited', 'FreeRADIUS did not start', '');
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}
