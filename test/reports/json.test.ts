import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResults, readResults, ResultFileError, writeResults } from '../../reports/json.ts';
import { RESULT_SCHEMA_VERSION } from '../../scenarios/result.ts';
import { sampleResult } from './sample-result.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radmfa-reports-json-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function problemOf(attempt: () => unknown): ResultFileError {
  try {
    attempt();
  } catch (error) {
    if (error instanceof ResultFileError) return error;
    throw error;
  }
  throw new Error('expected a ResultFileError');
}

describe('results.json', () => {
  it('reads back what it wrote, into a nested directory', async () => {
    const result = sampleResult();
    const path = join(dir, 'a', 'b', 'results.json');
    await writeResults(path, result);
    const back = await readResults(path);
    expect(back).toEqual(JSON.parse(JSON.stringify(result)));
    expect(back.schemaVersion).toBe(RESULT_SCHEMA_VERSION);
    expect((await readFile(path, 'utf8')).endsWith('}\n')).toBe(true);
  });

  it('refuses another schemaVersion, naming both versions, the fix and the radmfa that wrote it', async () => {
    const path = join(dir, 'old.json');
    await writeFile(
      path,
      JSON.stringify({ ...sampleResult(), schemaVersion: 1, tool: { name: 'radmfa', version: '0.0.9' } }),
    );
    const error = await readResults(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ResultFileError);
    const problem = error as ResultFileError;
    expect(problem.problem).toBe('other-version');
    expect(problem.message).toContain(path);
    expect(problem.message).toContain('schemaVersion 1');
    expect(problem.message).toContain(`reads schemaVersion ${RESULT_SCHEMA_VERSION}`);
    expect(problem.message).toContain('run the suites again');
    expect(problem.message).toContain('radmfa 0.0.9');
  });

  it('refuses a file without a schemaVersion as another version', () => {
    const problem = problemOf(() => parseResults('{"kind":"conformance"}'));
    expect(problem.problem).toBe('other-version');
    expect(problem.message).toContain('schemaVersion null');
  });

  it('says a file is not JSON', () => {
    expect(problemOf(() => parseResults('<html>', 'x.json')).problem).toBe('not-json');
  });

  it('says a file cannot be read', async () => {
    const error = await readResults(join(dir, 'missing.json')).catch((e: unknown) => e);
    expect((error as ResultFileError).problem).toBe('unreadable');
  });

  it('names every wrong field of a right-version file at once', () => {
    const result = sampleResult();
    const broken = {
      ...result,
      kind: 'load',
      suites: [
        { ...result.suites[0], cases: [result.suites[0]?.cases[0], { id: 'x', status: 'ok' }, { id: 'y' }] },
      ],
    };
    const problem = problemOf(() => parseResults(JSON.stringify(broken)));
    expect(problem.problem).toBe('invalid');
    expect(problem.issues.map((issue) => issue.path)).toEqual([
      'kind',
      'suites[0].cases[1].status',
      'suites[0].cases[2].status',
    ]);
    expect(problem.message).toContain('suites[0].cases[1].status: must be one of passed, failed, skipped');
  });
});
