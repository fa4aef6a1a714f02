// The one command-line layer: flags as data, every mistake reported at once (exit 104), --help
// generated from the declaration, an unknown command refused with the usage.
import { describe, expect, it } from 'vitest';
import { defineCommand, parseCommandLine } from '../../cli/command-line.ts';
import { ExitCode } from '../../cli/exit-codes.ts';
import { main } from '../../cli/main.ts';
import { captureIo, type CapturedIo } from '../support/command-io.ts';

const capture = (): CapturedIo => captureIo();

const flags = {
  target: { type: 'string', required: true, placeholder: 'HOST', help: 'where to send' },
  count: { type: 'integer', min: 1, max: 10, default: 3, help: 'how many' },
  ratio: { type: 'number', min: 0, max: 1, help: 'a share' },
  mode: { type: 'choice', choices: ['fast', 'slow'], default: 'fast', help: 'pace' },
  tag: { type: 'string', repeatable: true, help: 'label' },
  verbose: { type: 'boolean', help: 'say more' },
  authPort: { type: 'integer', min: 0, max: 65535, help: 'a port' },
} as const;

describe('parseCommandLine', () => {
  it('reads every type, defaults, repeatable flags and --flag=value', () => {
    const parsed = parseCommandLine('demo', flags, [
      '--target',
      '10.0.0.1',
      '--ratio=0.5',
      '--tag',
      'a',
      '--tag',
      'b',
      '--verbose',
      '--auth-port',
      '1812',
    ]);
    expect(parsed.issues).toEqual([]);
    expect(parsed.values).toEqual({
      target: '10.0.0.1',
      count: 3,
      ratio: 0.5,
      mode: 'fast',
      tag: ['a', 'b'],
      verbose: true,
      authPort: 1812,
    });
  });

  it('reports every mistake at once, each naming the flag and a fix', () => {
    const parsed = parseCommandLine('demo', flags, [
      '--count',
      '11',
      '--ratio',
      'half',
      '--mode',
      'medium',
      '--verbose=yes',
      '--colour',
      'red',
      '--count',
      '2',
      'stray',
      '--tag',
    ]);
    const byPath = (path: string): string[] =>
      parsed.issues.filter((i) => i.path === path).map((i) => `${i.message} | ${i.fix}`);
    expect(byPath('--count')).toEqual([
      expect.stringMatching(/"11" is not a whole number from 1 to 10 \| give --count .*default 3/),
      expect.stringMatching(/more than once/),
    ]);
    expect(byPath('--ratio')).toEqual([expect.stringMatching(/"half" is not a number from 0 to 1/)]);
    expect(byPath('--mode')).toEqual([
      expect.stringMatching(/"medium" is not a value it takes \| use one of fast, slow/),
    ]);
    expect(byPath('--verbose')).toEqual([expect.stringMatching(/takes no value/)]);
    expect(byPath('--colour')).toEqual([expect.stringMatching(/is not an option of radmfa demo/)]);
    expect(byPath('--tag')).toEqual([expect.stringMatching(/needs a value \| write --tag STRING/)]);
    expect(byPath('--target')).toEqual([expect.stringMatching(/is required \| give --target HOST/)]);
    expect(byPath('arguments')).toEqual([
      expect.stringMatching(/takes no arguments, but one follows --count \|/),
    ]);
    expect(parsed.issues).toHaveLength(9);
    for (const issue of parsed.issues) expect(issue.fix).not.toBe('');
  });

  it('never echoes a stray argument: after a forgotten --password it is the password', () => {
    const parsed = parseCommandLine('demo', flags, ['--target', 'x', '--verbose', 'Passw0rd!', 'S3cret']);
    expect(parsed.issues.map((i) => i.message)).toEqual([
      'radmfa demo takes no arguments, but one follows --verbose',
      'radmfa demo takes no arguments, but one follows --verbose',
    ]);
    expect(JSON.stringify(parsed.issues)).not.toMatch(/Passw0rd|S3cret/);
  });

  it('suggests the flag a typo probably meant', () => {
    const parsed = parseCommandLine('demo', flags, ['--target', 'x', '--verbsoe', '--coutn', '2']);
    expect(parsed.issues.map((i) => [i.path, i.fix])).toEqual([
      ['--verbsoe', expect.stringMatching(/did you mean --verbose\?/)],
      ['--coutn', expect.stringMatching(/did you mean --count\?/)],
    ]);
  });

  it('does not take the next flag as a missing value, but takes a value that starts with "-"', () => {
    const parsed = parseCommandLine('demo', flags, ['--target', '--verbose', '--tag', '-x']);
    expect(parsed.issues.map((i) => i.path)).toEqual(['--target']);
    expect(parsed.values.verbose).toBe(true);
    expect(parsed.values.tag).toEqual(['-x']);
  });
});

describe('declared commands', () => {
  let ran: unknown;
  const demo = defineCommand({
    name: 'demo',
    summary: 'a command for this test',
    description: 'Does nothing but record its arguments.',
    flags,
    exits: [
      [ExitCode.Ok, 'done'],
      [ExitCode.Usage, ''],
    ],
    prepare: ({ values, issues }) => {
      if (values.ratio !== undefined && values.mode === 'slow')
        issues.add('--ratio', 'cannot be used with --mode slow', 'drop one of them');
      return values;
    },
    run: (args) => {
      ran = args;
      return Promise.resolve(ExitCode.Ok);
    },
  });

  it('--help is generated from the flags: each flag, its value, default, bounds and the exit codes', async () => {
    const io = capture();
    expect(await demo.execute(['--help'], io)).toBe(ExitCode.Ok);
    const help = io.stdout();
    expect(help).toMatch(/^radmfa demo --target HOST \[options\]\n\nDoes nothing/);
    for (const [key, spec] of Object.entries(flags)) {
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const line = help.split('\n').find((l) => l.trimStart().startsWith(`${flag} `) || l.trim() === flag);
      expect(line, `${flag} is missing from:\n${help}`).toBeDefined();
      expect(help).toContain(spec.help);
    }
    expect(help).toMatch(/--count N\s+how many \(1 to 10; default 3\)/);
    expect(help).toMatch(/--mode fast\|slow\s+pace \(default fast\)/);
    expect(help).toMatch(/--tag STRING\s+label \(repeatable\)/);
    expect(help).toMatch(/--target HOST\s+where to send \(required\)/);
    expect(help).toMatch(/\n {2}104 {2}invalid configuration or command line/);
  });

  it('flag issues and prepare issues come back together with exit 104, and run is not called', async () => {
    ran = undefined;
    const io = capture();
    const code = await demo.execute(['--mode', 'slow', '--ratio', '0.1', '--count', 'x'], io);
    expect(code).toBe(104);
    expect(ran).toBeUndefined();
    const lines = io.stderr().split('\n');
    expect(lines[0]).toBe('radmfa demo: invalid command line or configuration');
    expect(lines).toContain('  - --ratio: cannot be used with --mode slow. Fix: drop one of them');
    expect(lines.some((l) => l.startsWith('  - --count: "x" is not a whole number'))).toBe(true);
    expect(lines.some((l) => l.startsWith('  - --target: is required. Fix:'))).toBe(true);
    expect(io.stderr()).toMatch(/Usage: radmfa demo --target HOST \[options\]/);
  });

  it('runs the handler with typed values when the command line is right', async () => {
    const io = capture();
    expect(await demo.execute(['--target', 'h', '--mode', 'slow'], io)).toBe(ExitCode.Ok);
    expect(ran).toMatchObject({ target: 'h', mode: 'slow', count: 3, verbose: false, tag: [] });
  });
});

describe('a command with arguments (as `radmfa run [SUITE...]` will be)', () => {
  const run = defineCommand({
    name: 'run',
    summary: 'run suites',
    description: 'Runs each SUITE.',
    positionals: { name: 'SUITE', help: 'suite names (default: all)', repeatable: true },
    flags: { grep: { type: 'string', repeatable: true, help: 'only matching cases' } },
    exits: [[ExitCode.Ok, 'passed']],
    prepare: ({ values, positionals }) => ({ suites: positionals, grep: values.grep ?? [] }),
    run: () => Promise.resolve(ExitCode.Ok),
  });

  it('passes the arguments to prepare and lists them in --help', async () => {
    expect(await run.parse(['protocol', '--grep', 'x', 'dedupe'])).toEqual({
      help: false,
      ok: true,
      args: { suites: ['protocol', 'dedupe'], grep: ['x'] },
    });
    const io = capture();
    await run.execute(['-h'], io);
    expect(io.stdout()).toMatch(/^radmfa run \[options\] \[SUITE\.\.\.\]\n/);
    expect(io.stdout()).toMatch(/\n {2}SUITE\s+suite names \(default: all\)\n/);
  });
});

describe('radmfa', () => {
  it('an unknown command exits 104 with the usage listing every command', async () => {
    const io = capture();
    expect(await main(['serv'], io)).toBe(104);
    expect(io.stderr()).toMatch(
      /command: "serv" is not a radmfa command\. Fix: use one of serve, nas, run, load, report, validate-nas, schema, cert, doctor, start/,
    );
    for (const name of ['serve', 'nas', 'validate-nas', 'cert', 'doctor', 'start'])
      expect(io.stderr()).toMatch(new RegExp(`radmfa ${name} `));
  });

  it('no command at all is a usage error too; --help is not', async () => {
    const none = capture();
    expect(await main([], none)).toBe(104);
    expect(none.stderr()).toMatch(/command: is missing/);
    const help = capture();
    expect(await main(['--help'], help)).toBe(0);
    expect(help.stdout()).toMatch(/Commands:/);
  });

  it.each(['serve', 'nas', 'cert', 'doctor', 'start'])(
    'radmfa %s --help is generated and exits 0',
    async (name) => {
      const io = capture();
      expect(await main([name, '--help'], io)).toBe(0);
      expect(io.stdout()).toMatch(new RegExp(`^radmfa ${name} `));
      expect(io.stdout()).toMatch(/\nOptions:\n[\s\S]*-h, --help[\s\S]*\nExit codes:\n/);
    },
  );

  it.each([
    ['serve', ['--auth-port', 'x', '--log-level', 'loud', '--bogus']],
    ['nas', ['--server', '127.0.0.1', '--secret', 's', '--user', 'u', '--timeout', '0']],
    ['start', ['--out']],
  ])('radmfa %s: a usage error exits 104 with field and fix', async (name, argv) => {
    const io = capture();
    expect(await main([name, ...argv], io)).toBe(104);
    expect(io.stderr()).toMatch(/^ {2}- --[a-z-]+: .*\. Fix: \S/m);
    expect(io.stdout()).toBe('');
  });
});
