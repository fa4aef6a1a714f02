// `radmfa serve --config FILE` as an operator meets it: a file with several mistakes is refused
// with exit 104 and every mistake listed with its field and fix (k6's convention); YAML and JSON
// files both start a working server; --host, --auth-port and --acct-port override the file, IPv6
// included; a port already taken is a clean start failure (exit 104, field and fix), not a crash.
import { createSocket } from 'node:dgram';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { PacketCode, type AttributeInput } from '../../protocol/index.ts';
import { SystemClock } from '../../runtime/clock.ts';
import type { Endpoint } from '../../runtime/transport.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { findFreeUdpPorts } from '../../peers/ports.ts';
import { RadiusTestClient } from '../support/radius-test-client.ts';
import { runRadmfa } from '../support/radmfa-cli.ts';
import {
  DEMO_DIRECTORY,
  SERVE_SECRET,
  makeServeWorkDir,
  serveTestConfig,
  startServe,
  type ServeProcess,
} from '../../peers/serve-process.ts';

const clock = new SystemClock();
const transport = new UdpTransport();
const INVALID_CONFIG_EXIT = 104;

const workDirs: string[] = [];
const running: ServeProcess[] = [];

afterAll(async () => {
  await Promise.all(running.map((serve) => serve.stop()));
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

function workDir(): string {
  const dir = makeServeWorkDir();
  workDirs.push(dir);
  return dir;
}

async function papLogin(server: Endpoint, localAddress: string): Promise<number | undefined> {
  const client = await RadiusTestClient.open({
    transport,
    clock,
    server,
    secret: SERVE_SECRET,
    address: localAddress,
  });
  try {
    const attributes: AttributeInput[] = [
      { name: 'User-Name', value: 'alice' },
      { name: 'User-Password', value: 'Passw0rd!' },
    ];
    return (await client.exchange(client.accessRequest(attributes), 5_000))?.packet.code;
  } finally {
    await client.close();
  }
}

/** Twelve mistakes in one file; each must come back as a `  - field: message. Fix: fix` line. */
const INVALID_YAML = `# every value below is wrong in its own way
listen:
  host: not-an-address
  authPort: 70000
clients:
  - name: vpn
    address: 300.1.2.3/40
directory:
  url: http://dc.example.test
  userFilter: (sAMAccountName=alice)
duplicates:
  profile: npss
accounting:
  path: ''
policy:
  noMatch: maybe
mfa:
  enabled: true
rejectDelayMs: -5
logLevel: debug
`;

const EXPECTED_FIELDS = [
  'listen.host',
  'listen.authPort',
  'clients[0].address',
  'clients[0].secret',
  'directory.url',
  'directory.userFilter',
  'duplicates.profile',
  'accounting.path',
  'policy.noMatch',
  'mfa.serviceUrl',
  'rejectDelayMs',
  'logLevel',
];

describe('radmfa serve configuration', () => {
  it('refuses a file with many mistakes: exit 104, every one listed with its field and fix', async () => {
    const dir = workDir();
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, INVALID_YAML);
    const result = await runRadmfa([
      'serve',
      '--config',
      file,
      '--auth-port',
      'eighteen',
      '--log-level',
      'loud',
    ]);
    expect(result.exitCode).toBe(INVALID_CONFIG_EXIT);
    expect(result.stdout).toBe('');
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('  - '));
    for (const field of [...EXPECTED_FIELDS, '--auth-port', '--log-level']) {
      const line = lines.find((l) => l.startsWith(`  - ${field}: `));
      expect(line, `no issue for ${field} in:\n${result.stderr}`).toBeDefined();
      expect(line).toMatch(/\. Fix: \S/);
    }
    expect(result.stderr).toMatch(/^radmfa serve: invalid command line or configuration$/m);
  });

  it('refuses a file that is not valid YAML, and one that does not exist, with exit 104', async () => {
    const dir = workDir();
    const file = path.join(dir, 'syntax.yaml');
    writeFileSync(file, 'listen: { host: 127.0.0.1\nclients: [\n');
    const [syntax, missing] = await Promise.all([
      runRadmfa(['serve', '--config', file]),
      runRadmfa(['serve', '--config', path.join(dir, 'absent.yaml')]),
    ]);
    expect(syntax.exitCode).toBe(INVALID_CONFIG_EXIT);
    expect(syntax.stderr).toMatch(/--config: .*syntax\.yaml is not valid YAML.*Fix: correct the syntax/s);
    expect(missing.exitCode).toBe(INVALID_CONFIG_EXIT);
    expect(missing.stderr).toMatch(/--config: cannot read .*absent\.yaml.*Fix: /);
  });

  it('exits 104 naming the field and the fix, and prints no started line, when the RADIUS or admin port is taken', async () => {
    const dir = workDir();
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
    const tcp = createServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
    try {
      const file = path.join(dir, 'radmfa.yaml');
      writeFileSync(file, toYaml(serveTestConfig(dir)));
      const tcpAddress = tcp.address();
      if (tcpAddress === null || typeof tcpAddress === 'string') throw new Error('no TCP port');
      const [authBusy, adminBusy] = await Promise.all([
        runRadmfa(['serve', '--config', file, '--auth-port', String(udp.address().port)]),
        runRadmfa(['serve', '--config', file, '--admin-port', String(tcpAddress.port)]),
      ]);
      for (const run of [authBusy, adminBusy]) {
        expect(run.exitCode, run.stderr).toBe(INVALID_CONFIG_EXIT);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(/^radmfa serve: could not start$/m);
        expect(run.stderr).toMatch(
          /^ {2}- (listen\.authPort|admin\.port): 127\.0\.0\.1:\d+ is in use by another program\. Fix: \S/m,
        );
        expect(run.stderr).not.toMatch(/^\s+at /m);
      }
    } finally {
      udp.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
  });

  it('starts from a JSON file; paths in it are relative to the file', async () => {
    const dir = workDir();
    const fromJson = await startServe({
      workDir: dir,
      format: 'json',
      config: serveTestConfig(dir, { accounting: { path: 'relative.sqlite' }, admin: false }),
    });
    running.push(fromJson);
    expect(fromJson.configPath).toMatch(/\.json$/);
    expect(fromJson.started.accounting).toBe(path.join(dir, 'relative.sqlite'));
    expect(fromJson.started.auth).toEqual([{ address: '127.0.0.1', port: fromJson.auth.port }]);
    expect(await papLogin(fromJson.auth, '127.0.0.1')).toBe(PacketCode.AccessAccept);
  });

  it('starts from a YAML file whose listen settings --host ::1, --auth-port and --acct-port override', async () => {
    const dir = workDir();
    const [authPort, acctPort] = await findFreeUdpPorts(2, { hosts: ['::1'] });
    if (authPort === undefined || acctPort === undefined) throw new Error('no free ports on ::1');
    const serve = await startServe({
      workDir: dir,
      format: 'yaml',
      config: serveTestConfig(dir, {
        listen: { hosts: ['127.0.0.1'], authPort: 0, acctPort: 0 },
        clients: [{ name: 'loopback6', address: '::1/128', secret: SERVE_SECRET }],
        directory: { embedded: { fixture: DEMO_DIRECTORY } },
      }),
      args: ['--host', '::1', '--auth-port', String(authPort), '--acct-port', String(acctPort)],
    });
    running.push(serve);
    expect(serve.configPath).toMatch(/\.yaml$/);
    expect(serve.started.auth).toEqual([{ address: '::1', port: authPort }]);
    expect(serve.started.acct).toEqual([{ address: '::1', port: acctPort }]);
    expect(await papLogin(serve.auth, '::1')).toBe(PacketCode.AccessAccept);
    const client = await RadiusTestClient.open({
      transport,
      clock,
      server: serve.acct,
      secret: SERVE_SECRET,
      address: '::1',
    });
    try {
      const status = await client.exchange(client.build(PacketCode.StatusServer, []), 5_000);
      expect(status?.packet.code).toBe(PacketCode.AccountingResponse);
      expect(status?.verified.ok).toBe(true);
    } finally {
      await client.close();
    }
  });
});
