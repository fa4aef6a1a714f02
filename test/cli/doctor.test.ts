// `radmfa doctor` as a user runs it: the embedded default passing every check, the table and --json,
// exit 0 / 1 / 104, a port held by another process versus one held by a running radmfa; and /health
// on `radmfa serve`'s admin port answering 200 with the readiness rows, or 503 when a check fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { main } from '../../cli/main.ts';
import { findFreeUdpPorts } from '../../peers/ports.ts';
import { HEALTH_CHECK_IDS, type HealthRow } from '../../reference/health/rows.ts';
import { embeddedDefaultConfig } from '../../scenarios/embedded/defaults.ts';
import type { DoctorReport } from '../../scenarios/health/doctor.ts';
import { startLdapStub } from '../../simulators/ldap/index.ts';
import { captureIo } from '../support/command-io.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Ports {
  readonly auth: number;
  readonly acct: number;
  readonly admin: number;
}

async function freePorts(): Promise<Ports> {
  const [auth = 0, acct = 0] = await findFreeUdpPorts(2);
  return { auth, acct, admin: await freeTcpPort() };
}

/** The embedded default (demo directory, demo tenant) on these ports, written to a config file. */
function embeddedDefaultFile(ports: Ports, overrides: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-doctor-cli-'));
  dirs.push(dir);
  const file = path.join(dir, 'radmfa.yaml');
  const config = {
    ...embeddedDefaultConfig({ accountingPath: path.join(dir, 'accounting.sqlite') }),
    listen: { hosts: ['127.0.0.1'], authPort: ports.auth, acctPort: ports.acct },
    admin: { host: '127.0.0.1', port: ports.admin },
    ...overrides,
  };
  writeFileSync(file, toYaml(config));
  return file;
}

async function doctorJson(file: string): Promise<{ code: number; report: DoctorReport }> {
  const io = captureIo();
  const code = await main(['doctor', '--config', file, '--json'], io);
  return { code, report: JSON.parse(io.stdout()) as DoctorReport };
}

const rowOf = (report: DoctorReport, id: HealthRow['id']): HealthRow | undefined =>
  report.rows.find((r) => r.id === id);

/** Another program holding a UDP port: a child node process, so the holder is not this test. */
async function holdUdpPort(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('node:dgram').createSocket('udp4').bind(${port}, '127.0.0.1', () => console.log('bound'))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('bound')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the port holder exited with ${code}`)));
  });
  return child;
}

/** `radmfa serve --config FILE` in process; resolves once it printed its started line. */
async function serveInProcess(
  file: string,
): Promise<{ stop: () => Promise<number>; started: Record<string, unknown> }> {
  const abort = new AbortController();
  const io = captureIo({ signal: abort.signal });
  let started: (line: string) => void = () => undefined;
  const startedLine = new Promise<string>((resolve) => (started = resolve));
  const running = main(['serve', '--config', file, '--log-level', 'silent'], {
    ...io,
    out: (text) => {
      io.out(text);
      if (text.includes('"started"')) started(text);
    },
  });
  const line = await Promise.race([startedLine, running.then((c) => `exited ${c}: ${io.stderr()}`)]);
  if (!line.startsWith('{')) throw new Error(line);
  return {
    started: JSON.parse(line) as Record<string, unknown>,
    stop: () => {
      abort.abort();
      return running;
    },
  };
}

interface HealthBody {
  status: string;
  ready: boolean;
  service: string;
  pid: number;
  checks: HealthRow[];
}

async function health(port: number): Promise<{ status: number; body: HealthBody; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as HealthBody, text };
}

describe('radmfa doctor', () => {
  it('the embedded default passes every check: exit 0, one table row per check, in order', async () => {
    const file = embeddedDefaultFile(await freePorts());
    const io = captureIo();
    expect(await main(['doctor', '--config', file], io)).toBe(0);
    const lines = io.stdout().split('\n');
    expect(lines[0]).toBe(`radmfa doctor: ${file}`);
    const rows = lines.filter((l) => /^(pass|WARN|FAIL|skip) /.test(l));
    expect(rows).toHaveLength(HEALTH_CHECK_IDS.length);
    expect(rows.every((l) => l.startsWith('pass '))).toBe(true);
    expect(rows[2]).toMatch(
      /directory reachable, service account binds\s+embedded directory stub ldap:\/\/127\.0\.0\.1:\d+: CN=svc-radius/,
    );
    expect(rows[6]).toMatch(
      /certificate registered \(token obtained\)\s+127\.0\.0\.1:\d+ issued a token for certificate [0-9A-F]{40}$/,
    );
    expect(io.stdout()).toMatch(/\n0 failed, 0 warning\(s\), 9 passed\n$/);
  });

  it('--json: the same rows as data, no secrets (service account password, tenant keys)', async () => {
    const { code, report } = await doctorJson(embeddedDefaultFile(await freePorts()));
    expect(code).toBe(0);
    expect(report).toMatchObject({ schemaVersion: 1, status: 'pass' });
    expect(report.rows.map((r) => r.id)).toEqual([...HEALTH_CHECK_IDS]);
    const text = JSON.stringify(report);
    expect(text).not.toContain('S3rvice-Passw0rd!');
    expect(text).not.toContain('PRIVATE KEY');
  });

  it('a RADIUS port held by another program: exit 1, the port named, the fix says what to do', async () => {
    const ports = await freePorts();
    await holdUdpPort(ports.auth);
    const { code, report } = await doctorJson(embeddedDefaultFile(ports));
    expect(code).toBe(1);
    expect(rowOf(report, 'radius-ports')).toMatchObject({
      status: 'fail',
      message: `listen.authPort: 127.0.0.1:${ports.auth} is in use by another program`,
    });
    expect(rowOf(report, 'radius-ports')?.fix).toMatch(
      /^stop that program or choose another port \(--auth-port N/,
    );
    expect(report.rows.filter((r) => r.status === 'fail').map((r) => r.id)).toEqual(['radius-ports']);
  });

  it('the ports held by a running radmfa for this configuration: pass, naming its pid', async () => {
    const ports = await freePorts();
    const file = embeddedDefaultFile(ports);
    const serve = await serveInProcess(file);
    try {
      const { code, report } = await doctorJson(file);
      expect(rowOf(report, 'radius-ports')).toMatchObject({ status: 'pass' });
      expect(rowOf(report, 'radius-ports')?.message).toBe(
        `bound by a running radmfa (pid ${process.pid}, admin 127.0.0.1:${ports.admin}): ` +
          `127.0.0.1:${ports.auth}/udp, 127.0.0.1:${ports.acct}/udp, 127.0.0.1:${ports.admin}/tcp`,
      );
      expect(code).toBe(0);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });

  it('an invalid config file: exit 1 with the config row failing (the file is what is checked)', async () => {
    const file = embeddedDefaultFile(await freePorts(), { clients: [] });
    const { code, report } = await doctorJson(file);
    expect(code).toBe(1);
    expect(rowOf(report, 'config')?.message).toMatch(/clients: no RADIUS client is configured/);
    expect(report.rows.slice(1).every((r) => r.status === 'skip')).toBe(true);
  });

  it('a wrong flag: exit 104 with the usage, nothing checked', async () => {
    const io = captureIo();
    expect(await main(['doctor', '--jsn'], io)).toBe(104);
    expect(io.stderr()).toMatch(/--jsn: is not an option of radmfa doctor\. Fix: did you mean --json\?/);
    expect(io.stdout()).toBe('');
  });
});

describe('/health on the admin port', () => {
  it('200 with the live readiness rows when every check passes (the embedded default)', async () => {
    const ports = await freePorts();
    const serve = await serveInProcess(embeddedDefaultFile(ports));
    try {
      const { status, body, text } = await health(ports.admin);
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'ok', ready: true, service: 'radmfa', pid: process.pid });
      expect(body.checks.map((r) => [r.id, r.status])).toEqual([
        ['directory', 'pass'],
        ['token-service', 'pass'],
        ['mfa-service', 'pass'],
        ['client-certificate', 'pass'],
        ['tenant-registration', 'pass'],
      ]);
      expect(text).not.toContain('S3rvice-Passw0rd!');
      expect(text).not.toMatch(/accessToken|eyJ/);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });

  it('503 with the failing row when the directory cannot be reached', async () => {
    const stub = await startLdapStub({ fixturePath: embeddedDefaultConfigFixture() });
    const { url, serviceAccount, baseDn } = stub;
    await stub.stop();
    const ports = await freePorts();
    const file = embeddedDefaultFile(ports, {
      directory: {
        url,
        bindDn: serviceAccount.dn,
        bindPassword: serviceAccount.password,
        baseDn,
        timeoutMs: 2_000,
      },
      mfa: { enabled: false },
    });
    const serve = await serveInProcess(file);
    try {
      const { status, body } = await health(ports.admin);
      expect(status).toBe(503);
      expect(body).toMatchObject({ status: 'fail', ready: false });
      expect(body.checks).toEqual([
        expect.objectContaining({
          id: 'directory',
          status: 'fail',
          message: `cannot reach ${url} (ECONNREFUSED)`,
        }),
      ]);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });
});

function embeddedDefaultConfigFixture(): string {
  const directory = embeddedDefaultConfig().directory as { embedded: { fixture: string } };
  return directory.embedded.fixture;
}
