// `radmfa serve` as a real child process, the way an operator runs it: a config file in a temp dir,
// ephemeral ports, and the one JSON "started" line on stdout telling where it listens. Its JSON
// logs (stderr) are kept for assertions. Every process started here is killed when the test
// process exits, so a failed test cannot leave a server holding ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import {
  buildMsChap2Response,
  generateAuthenticatorResponse,
  generateNtResponse,
  ntPasswordHash,
} from '../protocol/auth/index.ts';
import { SystemClock } from '../runtime/clock.ts';
import type { Endpoint } from '../runtime/transport.ts';

const bin = path.resolve(import.meta.dirname, '../bin/radmfa.js');
export const DEMO_DIRECTORY = path.resolve(import.meta.dirname, '../fixtures/directory/demo.yaml');
export const SERVE_SECRET = 'testing123';

/** Wall-clock bounds: a spawned daemon has no virtual clock to drive. */
const clock = new SystemClock();
const DEFAULT_START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const MAX_LOG_LINES = 20_000;

/** The line `radmfa serve` prints on stdout once every socket is bound. */
export interface StartedLine {
  readonly event: 'started';
  readonly auth: readonly Endpoint[];
  readonly acct: readonly Endpoint[];
  readonly admin?: Endpoint;
  readonly directory: string;
  readonly duplicates: string;
  readonly accounting: string;
  /** memory.heapGrowthPercent as applied to V8 (null: V8's own factor). */
  readonly heapGrowthPercent: number | null;
}

export interface ServeExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServeProcessOptions {
  /**
   * The config, written to a file in the work dir; see serveTestConfig for a starting point. A
   * function gets the work dir (for the accounting path) when the helper creates that dir itself.
   */
  readonly config: Record<string, unknown> | ((workDir: string) => Record<string, unknown>);
  /** File format of the config (default yaml). */
  readonly format?: 'yaml' | 'json';
  /** More command-line arguments after `serve --config FILE`. */
  readonly args?: readonly string[];
  /**
   * Directory for the config file (and, with serveTestConfig, the accounting file). When given, the
   * caller owns it and stop() leaves it in place (to reopen the SQLite file after a kill).
   */
  readonly workDir?: string;
  readonly startTimeoutMs?: number;
  /** Permission bits of the config file (default 0o600: it holds the shared secret). */
  readonly configMode?: number;
}

export interface ServeProcess {
  readonly pid: number;
  readonly started: StartedLine;
  readonly auth: Endpoint;
  readonly acct: Endpoint;
  readonly admin?: Endpoint;
  readonly workDir: string;
  readonly configPath: string;
  /** Every stderr line so far (pino JSON lines, and any plain-text message). */
  stderrLines(): string[];
  /** The stderr lines that parse as JSON objects. */
  logEvents(): Record<string, unknown>[];
  /** Resolves with the first log event matching, or rejects after `timeoutMs`. */
  waitForLog(
    match: (event: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the process has exited (at once if it already has). */
  readonly exited: Promise<ServeExit>;
  /** SIGTERM, SIGKILL after a grace period; removes the work dir unless the caller owns it. */
  stop(): Promise<ServeExit>;
}

export class ServeStartError extends Error {
  readonly code = 'SERVE_START_FAILED';
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'ServeStartError';
  }
}

/**
 * A config for tests: loopback only, ephemeral ports, client 127.0.0.1/32 with secret testing123
 * (Message-Authenticator not required),
 * the LDAP stub with the demo directory, accounting in `workDir`, the admin port on an ephemeral
 * port, MFA absent. Top-level keys in `overrides` replace the defaults.
 */
export function serveTestConfig(
  workDir: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', authPort: 0, acctPort: 0 },
    // Not `auto`: one server meets radclient, radtest and eapol_test, which sign some requests and
    // not others from the same address; auto would learn from the first signed one.
    clients: [
      {
        name: 'loopback',
        address: '127.0.0.1/32',
        secret: SERVE_SECRET,
        requireMessageAuthenticator: false,
      },
    ],
    directory: { embedded: { fixture: DEMO_DIRECTORY } },
    accounting: { path: path.join(workDir, 'accounting.sqlite') },
    admin: { host: '127.0.0.1', port: 0 },
    ...overrides,
  };
}

/** A fresh temp dir for one serve process (the caller removes it). */
export function makeServeWorkDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'radmfa-serve-'));
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test forgets stop() or the worker dies: never leave a server behind.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function parseJsonObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isStartedLine(
  value: Record<string, unknown> | undefined,
): value is Record<string, unknown> & StartedLine {
  return value?.event === 'started' && Array.isArray(value.auth) && Array.isArray(value.acct);
}

/** Spawns `node bin/radmfa.js serve --config FILE ...` and waits (bounded) for its started line. */
export async function startServe(options: ServeProcessOptions): Promise<ServeProcess> {
  installExitHook();
  const ownsWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? makeServeWorkDir();
  const format = options.format ?? 'yaml';
  const configPath = path.join(workDir, `radmfa.${format === 'json' ? 'json' : 'yaml'}`);
  const config = typeof options.config === 'function' ? options.config(workDir) : options.config;
  writeFileSync(configPath, format === 'json' ? JSON.stringify(config, null, 2) : toYaml(config), {
    mode: options.configMode ?? 0o600,
  });
  chmodSync(configPath, options.configMode ?? 0o600); // the mode given to writeFileSync passes the umask
  const child = spawn(process.execPath, [bin, 'serve', '--config', configPath, ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const stderr: string[] = [];
  let stderrRest = '';
  let stdoutRest = '';
  const logWaiters = new Set<(event: Record<string, unknown>) => void>();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    const lines = (stderrRest + chunk).split('\n');
    stderrRest = lines.pop() ?? '';
    for (const line of lines) {
      if (stderr.length >= MAX_LOG_LINES) break;
      stderr.push(line);
      const event = parseJsonObject(line);
      if (event !== undefined) for (const waiter of [...logWaiters]) waiter(event);
    }
  });
  const exited = new Promise<ServeExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const cleanupDir = (): void => {
    if (ownsWorkDir) rmSync(workDir, { recursive: true, force: true });
  };

  let started: StartedLine;
  try {
    started = await new Promise<StartedLine>((resolve, reject) => {
      const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
      const timer = clock.setTimeout(() => {
        reject(
          new ServeStartError(
            `radmfa serve printed no started line within ${timeoutMs} ms`,
            stderr.join('\n'),
          ),
        );
      }, timeoutMs);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        const lines = (stdoutRest + chunk).split('\n');
        stdoutRest = lines.pop() ?? '';
        for (const line of lines) {
          const parsed = parseJsonObject(line.trim());
          if (isStartedLine(parsed)) {
            clock.clearTimeout(timer);
            resolve(parsed);
          }
        }
      });
      void exited.then((exit) => {
        clock.clearTimeout(timer);
        reject(
          new ServeStartError(
            `radmfa serve exited (code ${exit.code}, signal ${exit.signal}) before it started:\n${stderr.join('\n')}${stderrRest}`,
            stderr.join('\n') + stderrRest,
          ),
        );
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    cleanupDir();
    throw error;
  }

  const [auth] = started.auth;
  const [acct] = started.acct;
  if (auth === undefined || acct === undefined) {
    child.kill('SIGKILL');
    await exited;
    cleanupDir();
    throw new ServeStartError('the started line names no auth or acct socket', stderr.join('\n'));
  }

  const logEvents = (): Record<string, unknown>[] =>
    stderr.flatMap((line) => {
      const event = parseJsonObject(line);
      return event === undefined ? [] : [event];
    });

  return {
    pid: child.pid ?? -1,
    started,
    auth,
    acct,
    ...(started.admin !== undefined ? { admin: started.admin } : {}),
    workDir,
    configPath,
    stderrLines: () => [...stderr, ...(stderrRest === '' ? [] : [stderrRest])],
    logEvents,
    waitForLog: (match, timeoutMs = 5_000) => {
      const already = logEvents().find(match);
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter = (event: Record<string, unknown>): void => {
          if (!match(event)) return;
          clock.clearTimeout(timer);
          logWaiters.delete(waiter);
          resolve(event);
        };
        const timer = clock.setTimeout(() => {
          logWaiters.delete(waiter);
          reject(new Error(`no matching log line within ${timeoutMs} ms; stderr:\n${stderr.join('\n')}`));
        }, timeoutMs);
        logWaiters.add(waiter);
      });
    },
    kill: (signal) => {
      child.kill(signal);
    },
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = clock.setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clock.clearTimeout(timer);
      }
      const exit = await exited;
      cleanupDir();
      return exit;
    },
  };
}

/** What an MS-CHAPv2 peer sends (RFC 2548 2.3 attributes, as radclient lines) and what it must get back. */
export interface MsChapV2Attempt {
  readonly lines: string[];
  readonly ntHash: Buffer;
  readonly ntResponse: Buffer;
  readonly peerChallenge: Buffer;
  readonly authChallenge: Buffer;
  /** RFC 2759 8.7 "S=..." the server must return for the right password. */
  readonly expectedAuthenticatorResponse: string;
}

/** An MS-CHAPv2 Access-Request as radclient attribute lines, computed with protocol/auth. */
export function msChapV2Attempt(user: string, password: string, ident = 1): MsChapV2Attempt {
  const authChallenge = randomBytes(16);
  const peerChallenge = randomBytes(16);
  const ntHash = ntPasswordHash(password);
  const ntResponse = generateNtResponse(authChallenge, peerChallenge, user, ntHash);
  const response = buildMsChap2Response({ ident, peerChallenge, ntResponse });
  return {
    lines: [
      `User-Name = "${user}"`,
      `MS-CHAP-Challenge = 0x${authChallenge.toString('hex')}`,
      `MS-CHAP2-Response = 0x${response.toString('hex')}`,
    ],
    ntHash,
    ntResponse,
    peerChallenge,
    authChallenge,
    expectedAuthenticatorResponse: generateAuthenticatorResponse(
      ntHash,
      ntResponse,
      peerChallenge,
      authChallenge,
      user,
    ),
  };
}

/** An attribute value as radclient printed it: `0x...` for octets, text (escapes undone) for strings. */
export function radclientOctets(value: string | undefined): Buffer {
  if (value === undefined) throw new Error('attribute missing from the reply');
  return value.startsWith('0x') ? Buffer.from(value.slice(2), 'hex') : Buffer.from(value, 'latin1');
}
