// The soak's flags: durations read as k6 writes them, the sample interval chosen from the length of
// the run, every bad flag named at once with its fix (exit 104 through the bench shell).
import { describe, expect, it } from 'vitest';
import { captureIo, runBenchCli } from '../../bench/script.ts';
import { soakBench, soakOptionsOf } from '../../bench/soak.ts';

const flags = {
  duration: '10m',
  sample: '',
  rate: 5,
  'fault-every': '1m',
  drain: '75s',
  'prompt-timeout': '60s',
  seed: 1,
  out: '',
};

describe('bench/soak flags', () => {
  it('samples once a minute for runs of 10 minutes or more, else twelve times over the run', () => {
    expect(soakOptionsOf(flags).options).toMatchObject({
      durationMs: 600_000,
      sampleMs: 60_000,
      drainMs: 75_000,
    });
    expect(soakOptionsOf({ ...flags, duration: '60s' }).options).toMatchObject({ sampleMs: 5_000 });
    expect(soakOptionsOf({ ...flags, duration: '2h', sample: '5s' }).options).toMatchObject({
      durationMs: 7_200_000,
      sampleMs: 5_000,
    });
  });

  it('names every bad flag at once, with its fix, and exits 104 before starting anything', async () => {
    const io = captureIo();
    const outcome = await runBenchCli(
      soakBench,
      ['--duration', 'ten minutes', '--sample', '0', '--fault-every', 'often', '--prompt-timeout', '-1s'],
      io,
    );
    expect(outcome.exitCode).toBe(104);
    const text = io.printed.join('\n');
    for (const flag of ['--duration', '--sample', '--fault-every', '--prompt-timeout'])
      expect(text).toContain(`${flag}: `);
    expect(text).toContain('Fix: write a duration such as 500ms');
  });

  it('refuses a sample interval that leaves the growth rule too few samples', () => {
    const { issues } = soakOptionsOf({ ...flags, duration: '60s', sample: '10s' });
    expect(issues).toEqual([
      expect.objectContaining({ path: '--sample', fix: 'give a shorter --sample or a longer --duration' }),
    ]);
  });
});
