// The servers a benchmark measures, each started on free loopback ports and stopped afterwards:
// FreeRADIUS 3.2 (its own process, via the test harness) and the radmfa reference server, either as
// a `radmfa serve` child process (the default: like FreeRADIUS it then has a process, a heap and an
// event loop of its own) or in the benchmark's process (cheaper to start, but it shares the event
// loop with the load generator).
import { execFileSync, spawn } from 'node:child_process';
import { rmSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack } from '../scenarios/embedded/compose.ts';
import { normaliseServerConfig } from '../reference/config/server-config.ts';
import { formatIssues } from '../runtime/validation/index.ts';
import { SystemClock } from '../runtime/clock.ts';
import type { Endpoint } from '../runtime/transport.ts';
import { startFreeRadius, type FreeRadiusUser } from '../peers/freeradius.ts';
import { DEMO_DIRECTORY, SERVE_SECRET, startServe } from '../peers/serve-process.ts';

export const BENCH_SECRET = SERVE_SECRET;

export type TargetName = 'freeradius' | 'radmfa' | 'baseline';
export type RadmfaProcessMode = 'child' | 'in-process';

export interface BenchTarget {
  readonly name: TargetName;
  /** What was measured, in words, for the report. */
  readonly description: string;
  readonly endpoint: Endpoint;
  readonly secret: string;
  /** Process id of the server, when it runs in a process of its own. */
  readonly pid?: number;
  stop(): Promise<void>;
}

function freeRadiusVersion(): string {
  try {
    const text = execFileSync('freeradius', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /Version ([\d.]+)/.exec(text)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Turns off FreeRADIUS's per-login log lines (the harness turns them on), so neither server logs per request. */
function quietAuthLog(configDir: string): void {
  const file = path.join(configDir, 'radiusd.conf');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/^([ \t]*)auth[ \t]*=.*$/m, '$1auth = no'));
}

/** FreeRADIUS with the given users (Cleartext-Password, so PAP is checked against the users file). */
export async function startFreeRadiusTarget(
  users: readonly FreeRadiusUser[],
  recvBufferSize?: number,
): Promise<BenchTarget> {
  const version = freeRadiusVersion();
  const instance = await startFreeRadius({
    users,
    ...(recvBufferSize !== undefined ? { recvBufferSize } : {}),
    secret: BENCH_SECRET,
    ipv6: false,
    rejectDelaySeconds: 0,
    customize: quietAuthLog,
  });
  return {
    name: 'freeradius',
    description: `FreeRADIUS ${version} (freeradius -f, packaged thread pool, child process ${instance.pid})`,
    endpoint: { address: instance.host, port: instance.authPort },
    secret: instance.secret,
    pid: instance.pid,
    stop: () => instance.stop(),
  };
}

export interface RadmfaTargetOptions {
  readonly mode: RadmfaProcessMode;
  /** SO_RCVBUF of the server's sockets. */
  readonly recvBufferSize: number;
}

/**
 * The reference server with MFA disabled, no policy rules (every authenticated user is granted),
 * the embedded LDAP stub with the demo directory in the same process, client 127.0.0.1/32 with the
 * bench secret, logging at warn (nothing per request).
 */
function radmfaConfig(workDir: string, recvBufferSize: number): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', authPort: 0, acctPort: 0, recvBufferSize },
    clients: [{ name: 'loopback', address: '127.0.0.1/32', secret: BENCH_SECRET }],
    directory: { embedded: { fixture: DEMO_DIRECTORY } },
    accounting: { path: path.join(workDir, 'accounting.sqlite') },
    mfa: { enabled: false },
  };
}

export async function startRadmfaTarget(options: RadmfaTargetOptions): Promise<BenchTarget> {
  const common = 'radmfa reference server, MFA off, embedded LDAP stub (demo directory) in the same process';
  if (options.mode === 'child') {
    const serve = await startServe({
      config: (workDir) => radmfaConfig(workDir, options.recvBufferSize),
      args: ['--log-level', 'warn'],
    });
    return {
      name: 'radmfa',
      description: `${common}; \`radmfa serve\` child process ${serve.pid}`,
      endpoint: serve.auth,
      secret: BENCH_SECRET,
      pid: serve.pid,
      stop: async () => {
        await serve.stop();
      },
    };
  }
  const workDir = mkdtempSync(path.join(tmpdir(), 'radmfa-bench-'));
  const normalised = normaliseServerConfig(radmfaConfig(workDir, options.recvBufferSize));
  if (!normalised.ok) {
    rmSync(workDir, { recursive: true, force: true });
    throw new Error(`bench radmfa config is invalid:\n${formatIssues(normalised.issues)}`);
  }
  try {
    const stack = await startStack(normalised.config);
    const [auth] = stack.server.endpoints('auth');
    if (auth === undefined) {
      await stack.close();
      throw new Error('the radmfa stack opened no auth socket');
    }
    return {
      name: 'radmfa',
      description: `${common}; in the benchmark's own process (shares its event loop)`,
      endpoint: auth,
      secret: BENCH_SECRET,
      stop: async () => {
        await stack.close();
        rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
}

const NULL_RESPONDER = path.resolve(import.meta.dirname, 'null-responder.ts');
const BASELINE_START_TIMEOUT_MS = 20_000;
const BASELINE_STOP_GRACE_MS = 5_000;

/** The null responder (bench/null-responder.ts) as a child process: the ceiling of the load loop. */
export async function startBaselineTarget(recvBufferSize: number): Promise<BenchTarget> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', NULL_RESPONDER, BENCH_SECRET, String(recvBufferSize)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const clock = new SystemClock();
  let stdout = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the null responder printed no port within ${BASELINE_START_TIMEOUT_MS} ms`));
    }, BASELINE_START_TIMEOUT_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const match = /"port":(\d+)/.exec(stdout);
      if (match?.[1] !== undefined) {
        clock.clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then(() => {
      clock.clearTimeout(timer);
      reject(new Error('the null responder exited before it started'));
    });
  });
  return {
    name: 'baseline',
    description: `null responder: Node process ${child.pid ?? -1} answering every datagram with a bare Access-Accept (no decode, no checks)`,
    endpoint: { address: '127.0.0.1', port },
    secret: BENCH_SECRET,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = clock.setTimeout(() => child.kill('SIGKILL'), BASELINE_STOP_GRACE_MS);
      await exited;
      clock.clearTimeout(timer);
    },
  };
}
