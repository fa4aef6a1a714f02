// A real OpenLDAP slapd, loaded with the same directory fixture as the LDAP stub: tests show the
// stub and a real directory answer the same binds and searches, and bench/server points radmfa and
// FreeRADIUS rlm_ldap at one slapd.
// slapd gets a generated slapd.conf (mdb backend, core/cosine/inetorgperson/nis schemas plus
// radmfa's AD/Samba look-alike schema) in a temp dir, data via slapadd before start, and a free
// loopback port. It runs in the foreground (-d 0) as whoever runs the tests, root included.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SystemClock } from '../runtime/clock.ts';
import {
  directoryToLdif,
  loadDirectoryFixture,
  RADMFA_OPENLDAP_SCHEMA,
  validateDirectoryFixture,
  type DirectoryFixture,
  type DirectoryFixtureInput,
} from '../simulators/ldap/index.ts';
import { requireTools, runProcess, toolPath, type ToolRequirement } from './tools.ts';

export interface SlapdOptions {
  readonly fixture?: DirectoryFixture | DirectoryFixtureInput;
  readonly fixturePath?: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Bound on waiting for slapd to accept connections. Default 15 s. */
  readonly startTimeoutMs?: number;
}

export interface RunningSlapd {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The slapd process (its CPU time is read from /proc by bench/server). */
  readonly pid: number;
  readonly baseDn: string;
  /** The fixture's service account (an ordinary entry with a userPassword, not the rootdn). */
  readonly bindDn: string;
  readonly bindPassword: string;
  /** Temp dir with slapd.conf, the schema, the LDIF and the database; removed by stop(). */
  readonly workDir: string;
  stop(): Promise<void>;
}

/** Call at collection time: fails in CI when slapd is missing, skips with a notice elsewhere. */
export function slapdRequirement(): ToolRequirement {
  return requireTools(['slapd', 'slapadd']);
}

const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';
const START_ATTEMPTS = 3;
const POLL_INTERVAL_MS = 50;
const STOP_GRACE_MS = 5_000;
const MAX_LOG_CHARS = 64 * 1024;

// Spawning a real daemon runs on wall-clock time; there is no virtual clock to inject here.
const clock = new SystemClock();

export function slapdConfig(workDir: string, baseDn: string): string {
  const quoted = baseDn.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((name) => `include ${SCHEMA_DIR}/${name}.schema`),
    `include ${path.join(workDir, 'radmfa.schema')}`,
    `pidfile ${path.join(workDir, 'slapd.pid')}`,
    `argsfile ${path.join(workDir, 'slapd.args')}`,
    `modulepath ${MODULE_DIR}`,
    'moduleload back_mdb',
    // Like the stub's default (and AD's): no anonymous access, answered with 48.
    'disallow bind_anon',
    'database mdb',
    'maxsize 33554432',
    `suffix "${quoted}"`,
    `directory ${path.join(workDir, 'db')}`,
    // Any bound identity reads everything (as the stub allows); anonymous may only bind.
    'access to * by users read by anonymous auth',
    '',
  ].join('\n');
}

async function resolveFixture(options: SlapdOptions): Promise<DirectoryFixture> {
  if (options.fixturePath !== undefined) return loadDirectoryFixture(options.fixturePath);
  if (options.fixture === undefined) throw new Error('startSlapd: give fixture or fixturePath');
  const fixture = options.fixture;
  return 'baseKind' in fixture ? fixture : validateDirectoryFixture(fixture);
}

export async function startSlapd(options: SlapdOptions): Promise<RunningSlapd> {
  const fixture = await resolveFixture(options);
  const host = options.host ?? '127.0.0.1';
  const workDir = await mkdtemp(path.join(tmpdir(), 'radmfa-slapd-'));
  try {
    const configPath = path.join(workDir, 'slapd.conf');
    await mkdir(path.join(workDir, 'db'));
    await writeFile(path.join(workDir, 'radmfa.schema'), RADMFA_OPENLDAP_SCHEMA);
    await writeFile(configPath, slapdConfig(workDir, fixture.baseDn));
    await writeFile(path.join(workDir, 'data.ldif'), directoryToLdif(fixture));
    const load = await runProcess(
      toolPath('slapadd'),
      ['-f', configPath, '-l', path.join(workDir, 'data.ldif')],
      {
        timeoutMs: 30_000,
      },
    );
    if (load.exitCode !== 0) {
      throw new Error(`slapadd failed (exit ${load.exitCode ?? load.signal}):\n${load.stderr}${load.stdout}`);
    }
    const started = await startOnFreePort(configPath, host, options.startTimeoutMs ?? 15_000);
    const url = `ldap://${host.includes(':') ? `[${host}]` : host}:${started.port}`;
    return {
      url,
      host,
      port: started.port,
      pid: started.child.pid ?? -1,
      baseDn: fixture.baseDn,
      bindDn: fixture.serviceAccount.dn,
      bindPassword: fixture.serviceAccount.password ?? '',
      workDir,
      stop: async () => {
        await stopChild(started.child);
        await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

interface StartedSlapd {
  readonly child: ChildProcess;
  readonly port: number;
}

/** The port is found free and then handed to slapd, so another process may take it first: retry. */
async function startOnFreePort(configPath: string, host: string, timeoutMs: number): Promise<StartedSlapd> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await findFreeTcpPort(host);
    const listenUrl = `ldap://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    const child = spawn(toolPath('slapd'), ['-d', '0', '-h', listenUrl, '-f', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const collect = (chunk: Buffer): void => {
      if (log.length < MAX_LOG_CHARS) log += chunk.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const ready = await waitUntilListening(child, host, port, timeoutMs);
    if (ready === 'listening') return { child, port };
    await stopChild(child);
    lastError = new Error(`slapd did not start on ${listenUrl} (${ready}):\n${log}`);
    if (!/already in use/i.test(log)) break;
  }
  throw lastError ?? new Error('slapd did not start');
}

async function waitUntilListening(
  child: ChildProcess,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<'listening' | 'exited' | 'timed out'> {
  let exited = child.exitCode !== null;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = clock.now() + timeoutMs;
  while (clock.now() < deadline) {
    if (exited) return 'exited';
    if (await canConnect(host, port)) return 'listening';
    await clock.sleep(POLL_INTERVAL_MS);
  }
  return 'timed out';
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function findFreeTcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** SIGTERM (slapd closes its database cleanly), then SIGKILL if it lingers. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = clock.setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clock.clearTimeout(timer);
}
