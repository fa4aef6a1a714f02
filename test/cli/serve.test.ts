// `radmfa serve` start-up as a first-time user meets it (issue 13, items 5 and 7): what stops a valid
// configuration from starting (a missing fixture or tenant file, ports in use) is reported all at
// once in the "field: problem. Fix:" form with exit 104; the default accounting database follows
// the same rule as an explicit path.
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { DEFAULT_ACCOUNTING_FILE, readConfigFile } from '../../cli/config-file.ts';
import { main } from '../../cli/main.ts';
import { startFailureIssue } from '../../cli/preflight.ts';
import { resolveServeConfig } from '../../cli/serve.ts';
import { DEMO_DIRECTORY, SERVE_SECRET } from '../../peers/serve-process.ts';
import { captureIo, type CapturedIo } from '../support/command-io.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-cli-serve-'));
  dirs.push(dir);
  return dir;
}

const capture = (signal?: AbortSignal): CapturedIo => captureIo(signal !== undefined ? { signal } : {});

function baseConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', authPort: 0, acctPort: 0 },
    clients: [{ name: 'loopback', address: '127.0.0.1/32', secret: SERVE_SECRET }],
    directory: { embedded: { fixture: DEMO_DIRECTORY } },
    admin: { host: '127.0.0.1', port: 0 },
    ...overrides,
  };
}

describe('radmfa serve start-up failures', () => {
  it("a missing fixture and a missing tenant: exit 104, both at once, with the config file's other mistakes", async () => {
    const dir = tempDir();
    const file = path.join(dir, 'radmfa.yaml');
    writeFileSync(
      file,
      toYaml(
        baseConfig({
          directory: { embedded: { fixture: 'fixtures/absent.yaml' } },
          mfa: { enabled: true, embedded: { tenant: 'tenant-absent.yaml' } },
        }),
      ),
    );
    const io = capture();
    const code = await main(['serve', '--config', file], io);
    expect(code).toBe(104);
    expect(io.stdout()).toBe('');
    const lines = io.stderr().split('\n');
    const issue = (field: string): string | undefined => lines.find((l) => l.startsWith(`  - ${field}: `));
    expect(issue('directory.embedded.fixture')).toMatch(
      new RegExp(`${path.join(dir, 'fixtures/absent.yaml')}" does not exist\\. Fix: give the path of`),
    );
    expect(issue('mfa.embedded.tenant')).toMatch(
      /tenant-absent\.yaml" does not exist\. Fix: give the path of/,
    );
    expect(io.stderr()).not.toMatch(/^\s+at /m);
  });

  it('a busy RADIUS port and a busy admin port: exit 104, both at once, naming the flag to change', async () => {
    const dir = tempDir();
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
    const tcp = createServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve()));
    try {
      const file = path.join(dir, 'radmfa.yaml');
      writeFileSync(file, toYaml(baseConfig()));
      const tcpAddress = tcp.address();
      if (tcpAddress === null || typeof tcpAddress === 'string') throw new Error('no TCP port');
      const io = capture();
      const code = await main(
        [
          'serve',
          '--config',
          file,
          '--auth-port',
          String(udp.address().port),
          '--admin-port',
          String(tcpAddress.port),
        ],
        io,
      );
      expect(code).toBe(104);
      expect(io.stdout()).toBe('');
      const lines = io.stderr().split('\n');
      expect(lines[0]).toBe('radmfa serve: could not start');
      const issue = (field: string): string | undefined => lines.find((l) => l.startsWith(`  - ${field}: `));
      expect(issue('listen.authPort')).toMatch(
        new RegExp(
          `127\\.0\\.0\\.1:${udp.address().port} is in use by another program\\. Fix: .*--auth-port.*FreeRADIUS`,
        ),
      );
      expect(issue('admin.port')).toMatch(/is in use by another program\. Fix: .*--admin-port/);
      expect(io.stderr()).not.toMatch(/^\s+at /m);
    } finally {
      udp.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
  });

  it('a port taken between the check and the start is reported the same way', () => {
    const config = resolveServeConfig({ authPort: 1812, acctPort: 1813, adminPort: 9812 });
    if (!config.ok) throw new Error('the embedded default is invalid');
    const busy = (port: number): Error =>
      Object.assign(new Error(`bind EADDRINUSE 127.0.0.1:${port}`), {
        code: 'EADDRINUSE',
        address: '127.0.0.1',
        port,
      });
    const acct = startFailureIssue(busy(1813), config.config);
    expect([acct?.path, acct?.message]).toEqual([
      'listen.acctPort',
      '127.0.0.1:1813 is in use by another program',
    ]);
    expect(acct?.fix).toMatch(/--acct-port N.*systemctl stop freeradius/);
    expect(startFailureIssue(busy(9812), config.config)?.path).toBe('admin.port');
    expect(startFailureIssue(new Error('something else'), config.config)).toBeUndefined();
  });
});

describe('the default accounting database', () => {
  it('lies next to the config file, like an explicit relative path, wherever radmfa runs', () => {
    const dir = tempDir();
    const file = path.join(dir, 'radmfa.yaml');
    writeFileSync(file, toYaml(baseConfig()));
    const loaded = readConfigFile(file);
    if (!loaded.ok) throw new Error('config did not load');
    expect(loaded.value).toMatchObject({ accounting: { path: path.join(dir, DEFAULT_ACCOUNTING_FILE) } });
    writeFileSync(file, toYaml(baseConfig({ accounting: {} })));
    const empty = readConfigFile(file);
    expect(empty.ok && empty.value).toMatchObject({
      accounting: { path: path.join(dir, DEFAULT_ACCOUNTING_FILE) },
    });
  });

  it('without a config file, is the working directory, as an absolute path', () => {
    const resolved = resolveServeConfig({});
    if (!resolved.ok) throw new Error('the embedded default is invalid');
    expect(resolved.config.accounting.path).toBe(path.resolve(process.cwd(), DEFAULT_ACCOUNTING_FILE));
  });

  it('radmfa serve --config FILE creates it next to FILE and names it in the started line', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'radmfa.yaml');
    writeFileSync(file, toYaml(baseConfig()));
    const stop = new AbortController();
    let started: (line: string) => void = () => undefined;
    const startedLine = new Promise<string>((resolve) => (started = resolve));
    const io = capture(stop.signal);
    const out = (text: string): void => io.out(text);
    const running = main(['serve', '--config', file, '--log-level', 'silent'], {
      ...io,
      out: (text) => {
        out(text);
        if (text.includes('"started"')) started(text);
      },
    });
    const line = JSON.parse(
      await Promise.race([startedLine, running.then((c) => `exited ${c}: ${io.stderr()}`)]),
    ) as {
      accounting: string;
    };
    stop.abort();
    expect(await running).toBe(0);
    expect(line.accounting).toBe(path.join(dir, DEFAULT_ACCOUNTING_FILE));
    expect(existsSync(path.join(dir, DEFAULT_ACCOUNTING_FILE))).toBe(true);
  });
});
