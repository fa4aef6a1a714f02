// `radmfa validate-nas` as a command: every mistake in the flags and the steps file at once (exit 104),
// a run that hears no NAS (exit 1, a report saying so), and Ctrl-C ending a run with its report.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../../cli/main.ts';
import type { NasValidationResult } from '../../scenarios/nas-validation/result.ts';
import { loadSteps } from '../../scenarios/nas-validation/steps.ts';
import { captureIo } from '../support/command-io.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'radmfa-vn-cli-'));

describe('radmfa validate-nas command line', () => {
  test('every mistake in the flags and the steps file is reported at once, exit 104', async () => {
    const dir = tmp();
    const steps = join(dir, 'steps.yaml');
    writeFileSync(
      steps,
      [
        'steps:',
        '  - run: []',
        '  - wait: soon',
        '  - login: { user: alice, profile: no-such-vendor }',
        '  - jump: 3',
      ].join('\n'),
    );
    const io = captureIo();
    const exit = await main(
      [
        'validate-nas',
        '--duration',
        'forever',
        '--host',
        'lab-server',
        '--steps',
        steps,
        '--auth-port',
        '1812',
        '--secondary-port',
        '1812',
      ],
      io,
    );
    expect(exit).toBe(104);
    const err = io.stderr();
    for (const fragment of [
      '--duration',
      '--host',
      '--secondary-port',
      'steps[0].run',
      'steps[1].wait',
      'steps[2].login.profile',
      'steps[3]',
    ]) {
      expect(err).toContain(fragment);
    }
  });

  test('a probe user that does not exist is named with the list of those that do', async () => {
    const dir = tmp();
    const steps = join(dir, 'steps.yaml');
    writeFileSync(steps, 'steps:\n  - login: { user: alice }\n');
    const io = captureIo();
    expect(await main(['validate-nas', '--steps', steps], io)).toBe(104);
    expect(io.stderr()).toContain('steps[0].login.user');
    expect(io.stderr()).toContain('probe-approve-2s');
  });

  test('a run that hears no NAS ends on --duration with a report that says so, exit 1', async () => {
    const dir = tmp();
    const io = captureIo();
    const exit = await main(
      ['validate-nas', '--auth-port', '0', '--acct-port', '0', '--duration', '200ms', '--report-dir', dir],
      io,
    );
    expect(exit).toBe(1);
    expect(io.stdout()).toContain('probe-approve-90s');
    const result = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as NasValidationResult;
    expect(result).toMatchObject({ kind: 'nas-validation', stoppedBy: 'duration', nas: [] });
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('No NAS sent anything');
  }, 30_000);

  test('the signal (Ctrl-C) ends the run and the report is still written', async () => {
    const dir = tmp();
    const controller = new AbortController();
    const io = captureIo({ signal: controller.signal });
    const run = main(['validate-nas', '--auth-port', '0', '--acct-port', '0', '--report-dir', dir], {
      ...io,
      out: (text) => {
        io.out(text);
        // Once the instructions are out the server is listening: stop it as Ctrl-C would.
        if (text.includes('Ctrl-C')) controller.abort();
      },
    });
    expect(await run).toBe(1);
    const result = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as NasValidationResult;
    expect(result.stoppedBy).toBe('signal');
  }, 30_000);
});

test('the example steps file is valid', async () => {
  const loaded = await loadSteps(join(import.meta.dirname, '../../examples/validate-nas/steps.yaml'));
  expect(loaded.ok ? loaded.file.steps.length : loaded.issues).toBe(5);
});
