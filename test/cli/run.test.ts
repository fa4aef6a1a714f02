// `radmfa run`, `radmfa schema` and `radmfa start` as commands (issue 7 items 1 and 7): exit 0 when
// every case passed, 1 when one failed, 104 for every mistake in the suites or the command line at
// once; the reports written and where they are said; progress per case; the published schemas.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { main } from '../../cli/main.ts';
import { Progress, runCommand } from '../../cli/run.ts';
import type { CaseResult, ConformanceResult } from '../../scenarios/result.ts';
import { captureIo, type CapturedIo } from '../support/command-io.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'radmfa-cli-run-'));
  dirs.push(dir);
  return dir;
}

const capture = (tty = false): CapturedIo => captureIo({ tty });

/** A suite of two quick cases; `outcome` decides whether the second passes. */
function suiteFile(dir: string, outcome: 'accept' | 'reject'): string {
  const file = path.join(dir, `two-${outcome}.yaml`);
  const login = (id: string, password: string, expected: string): Record<string, unknown> => ({
    id,
    title: `alice logs in with ${id}`,
    why: 'RFC 2865 4.2/4.3 (Access-Accept, Access-Reject)',
    targets: ['embedded-virtual'],
    topology: { server: { mfa: { enabled: false } } },
    steps: [{ kind: 'login', user: 'alice', password, method: 'pap', expect: { outcome: expected } }],
  });
  writeFileSync(
    file,
    toYaml({
      suite: 'two',
      description: 'two logins',
      cases: [login('right-password', 'Passw0rd!', 'accept'), login('wrong-password', 'nope', outcome)],
    }),
  );
  return file;
}

function readResult(dir: string): ConformanceResult {
  return JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as ConformanceResult;
}

describe('radmfa run', () => {
  it('exits 0 when every case passed, writes the four reports and says where they are', async () => {
    const dir = tempDir();
    const io = capture();
    const code = await main(['run', suiteFile(dir, 'reject'), '--report-dir', dir, '--seed', '5'], io);
    expect(io.stderr()).not.toMatch(/FAIL/);
    expect(code).toBe(0);
    const result = readResult(dir);
    expect(result.schemaVersion).toBe(2);
    expect(result.seed).toBe(5);
    expect(result.summary).toEqual({ total: 2, passed: 2, failed: 0, skipped: 0 });
    expect(result.properties).toBeUndefined();
    const junit = readFileSync(path.join(dir, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(2);
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toMatch(/two/);
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toMatch(/^<!doctype html>/i);
    for (const name of ['index.html', 'results.json', 'junit.xml', 'summary.md']) {
      expect(io.stdout()).toContain(path.join(dir, name));
    }
    expect(io.stdout()).toMatch(/2 cases: 2 passed, 0 failed, 0 skipped/);
    for (const name of ['index.html', 'results.json', 'junit.xml', 'summary.md']) {
      const text = readFileSync(path.join(dir, name), 'utf8');
      expect(text, `${name} carries no password or secret`).not.toMatch(/Passw0rd!|testing123|nope/);
    }
  });

  it('exits 1 when a case failed, and the failure is in the reports', async () => {
    const dir = tempDir();
    const io = capture();
    const code = await main(['run', suiteFile(dir, 'accept'), '--report-dir', dir], io);
    expect(code).toBe(1);
    const failed = readResult(dir).suites[0]?.cases.find((c) => c.status === 'failed');
    expect(failed?.id).toBe('wrong-password');
    expect(failed?.failures[0]).toMatchObject({ expected: 'accept', actual: 'reject' });
    expect(readFileSync(path.join(dir, 'junit.xml'), 'utf8')).toMatch(/<failure /);
    expect(io.stderr()).toMatch(/^ {2}FAIL {2}two\/wrong-password /m);
    expect(io.stderr()).toMatch(/^ {2}pass {2}two\/right-password /m);
  });

  it('runs the properties when asked, with the runs given, and reports their logins', async () => {
    const dir = tempDir();
    const io = capture();
    const code = await main(
      [
        'run',
        'properties',
        '--property',
        'bad-authenticator',
        '--runs',
        '3',
        '--report-dir',
        dir,
        '--seed',
        '9',
      ],
      io,
    );
    expect(code).toBe(0);
    const [property, ...others] = readResult(dir).properties ?? [];
    expect(others).toEqual([]);
    expect(property).toMatchObject({ name: 'bad-authenticator', status: 'passed', runs: 3, seed: 9 });
    expect(property?.logins).toBeGreaterThanOrEqual(3);
    expect(io.stderr()).toMatch(/pass {2}properties\/bad-authenticator: 3 runs/);
  });

  it('reports every mistake in the suites and the command line at once, exit 104, before running', async () => {
    const dir = tempDir();
    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, toYaml({ suite: 'Broken Name', cases: [{ id: 'x', steps: [] }] }));
    const io = capture();
    const code = await main(
      [
        'run',
        'no-such-suite',
        broken,
        '--target',
        'localhost',
        '--runs',
        '0',
        '--path',
        'x',
        '--report-dir',
        dir,
      ],
      io,
    );
    expect(code).toBe(104);
    const issues = io
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('  - '));
    const about = (text: string): string[] =>
      issues.filter((l) => l.startsWith(`  - ${text}`) || (!text.startsWith('-') && l.includes(text)));
    expect(about('--target')).toHaveLength(1);
    expect(about('--runs')).toHaveLength(1);
    expect(about('--path')).toHaveLength(1);
    expect(about('--seed')).toHaveLength(1);
    expect(about('no-such-suite')).toHaveLength(1);
    expect(about('broken.yaml').length).toBeGreaterThanOrEqual(3);
    expect(issues.every((l) => l.includes('Fix: '))).toBe(true);
    expect(() => readFileSync(path.join(dir, 'results.json'))).toThrow();
  });

  it('a HOST:PORT target needs --secret, both halves of the credentials, and no properties', async () => {
    const noSecret = await runCommand.parse(['protocol', '--target', '127.0.0.1:1812']);
    expect(noSecret.help === false && !noSecret.ok && noSecret.issues.map((i) => i.path)).toEqual([
      '--secret',
    ]);
    const half = await runCommand.parse([
      'properties',
      '--target',
      '[::1]:1812',
      '--secret',
      's',
      '--user',
      'u',
    ]);
    expect(half.help === false && !half.ok && half.issues.map((i) => i.path).sort()).toEqual([
      '--password',
      'SUITE',
    ]);
    const embeddedSecret = await runCommand.parse(['protocol', '--secret', 's']);
    expect(embeddedSecret.help === false && !embeddedSecret.ok && embeddedSecret.issues[0]?.message).toMatch(
      /applies to a HOST:PORT target/,
    );
  });

  it('with a HOST:PORT target and no SUITE, every suite runs and the properties are left out, saying so', async () => {
    const parsed = await runCommand.parse(['--target', '127.0.0.1:1812', '--secret', 's']);
    if (parsed.help || !parsed.ok) throw new Error('did not parse');
    expect(parsed.args.target).toEqual({ host: '127.0.0.1', port: 1812, secret: 's' });
    expect(parsed.args.properties).toBeUndefined();
    expect(parsed.args.notes.join()).toMatch(/properties .* left out/);
    expect(parsed.args.suites.map((s) => s.name)).toEqual(
      expect.arrayContaining(['protocol', 'dedupe', 'methods', 'mfa', 'nas-timeouts', 'accounting']),
    );
  });
});

describe('progress', () => {
  const result = (id: string, status: CaseResult['status']): CaseResult => ({
    suite: 's',
    id,
    title: `case ${id}`,
    why: 'w',
    target: 'embedded-virtual',
    status,
    ...(status === 'passed' ? {} : { reason: `${status} because` }),
    failures: [],
    durationMs: 1,
    steps: [],
    timeline: [],
  });

  it('on a terminal: one line rewritten in place with the counts; failures stay on screen', () => {
    const io = capture(true);
    const progress = new Progress(io, 3);
    progress.onCase(result('a', 'passed'));
    progress.onCase(result('b', 'failed'));
    progress.onCase(result('c', 'skipped'));
    progress.clear();
    const text = io.stderr();
    expect(text).toContain('[1/3] 1 passed, 0 failed, 0 skipped  s/a');
    expect(text).toContain('\r\u001b[2K  FAIL  s/b [embedded-virtual] case b: failed because\n');
    expect(text).toContain('[3/3] 1 passed, 1 failed, 1 skipped  s/c');
    expect(text).not.toContain('  pass  s/a');
    expect(text.endsWith('\r\u001b[2K')).toBe(true);
  });

  it('elsewhere (CI logs, pipes): one plain line per case, no control characters', () => {
    const io = capture(false);
    const progress = new Progress(io, 2);
    progress.onCase(result('a', 'passed'));
    progress.onCase(result('c', 'skipped'));
    expect(io.stderr()).toBe(
      '  pass  s/a [embedded-virtual] case a\n  skip  s/c [embedded-virtual] case c: skipped because\n',
    );
  });
});

describe('radmfa schema', () => {
  it('prints the JSON Schema of suite files and of the server config', async () => {
    for (const [kind, key] of [
      ['suite', 'cases'],
      ['config', 'listen'],
    ] as const) {
      const io = capture();
      expect(await main(['schema', kind], io)).toBe(0);
      const schema = JSON.parse(io.stdout()) as { $schema: string; properties: Record<string, unknown> };
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(Object.keys(schema.properties)).toContain(key);
    }
  });

  it('writes to a file with --out, and names the kinds it knows when given another', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'suite.schema.json');
    expect(await main(['schema', 'suite', '--out', file], capture())).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ title: 'radmfa suite file' });
    const io = capture();
    expect(await main(['schema', 'nonsense'], io)).toBe(104);
    expect(io.stderr()).toMatch(
      /KIND: "nonsense" is not a schema radmfa publishes\. Fix: give one of suite, config, load/,
    );
  });
});
