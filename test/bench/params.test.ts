import { describe, expect, it } from 'vitest';
import { describeParams, flagName, parseParams, type ParamSpecs } from '../../bench/params.ts';

const specs = {
  count: { type: 'integer', default: 100, min: 1, max: 1000, description: 'requests' },
  maxSeconds: { type: 'number', default: 2.5, min: 0.1, max: 60, description: 'bound' },
  mode: { type: 'choice', default: 'child', choices: ['child', 'in-process'], description: 'where' },
  out: { type: 'string', default: '', description: 'path' },
} as const satisfies ParamSpecs;

describe('bench parameters', () => {
  it('maps camelCase names to kebab-case flags', () => {
    expect(flagName('maxSeconds')).toBe('--max-seconds');
    expect(flagName('recvBufferSize')).toBe('--recv-buffer-size');
  });

  it('fills every parameter with its default when no flag is given', () => {
    const result = parseParams(specs, []);
    expect(result).toEqual({
      ok: true,
      help: false,
      params: { count: 100, maxSeconds: 2.5, mode: 'child', out: '' },
    });
  });

  it('parses typed values from the flags', () => {
    const result = parseParams(specs, [
      '--count',
      '7',
      '--max-seconds',
      '0.5',
      '--mode',
      'in-process',
      '--out',
      'x.json',
    ]);
    expect(result.ok && result.params).toEqual({
      count: 7,
      maxSeconds: 0.5,
      mode: 'in-process',
      out: 'x.json',
    });
  });

  it('reports every bad value at once, each with the flag and a fix', () => {
    const result = parseParams(specs, ['--count', '1.5', '--max-seconds', '99', '--mode', 'thread']);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((issue) => issue.path)).toEqual(['--count', '--max-seconds', '--mode']);
    expect(result.issues[0]?.fix).toContain('from 1 to 1000');
    expect(result.issues[2]?.fix).toContain('child, in-process');
  });

  it('refuses an integer flag given as an empty string or out of range', () => {
    for (const text of ['', '0', '1001', 'ten']) {
      const result = parseParams(specs, [`--count=${text}`]);
      expect(result.ok, text).toBe(false);
    }
  });

  it('refuses unknown flags and positionals', () => {
    expect(parseParams(specs, ['--counts', '3']).ok).toBe(false);
    expect(parseParams(specs, ['extra']).ok).toBe(false);
  });

  it('recognises --help', () => {
    const result = parseParams(specs, ['--help']);
    expect(result.ok && result.help).toBe(true);
  });

  it('describes each flag with its bounds and default', () => {
    const text = describeParams(specs);
    expect(text).toContain('--count');
    expect(text).toContain('[1..1000], default 100');
    expect(text).toContain('(child|in-process), default child');
  });
});
