// results.json: the versioned result every other report renders from. Reading it back checks the
// schemaVersion first, because a renderer given another version's shape would draw nonsense quietly.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatIssues, IssueCollector, isPlainObject, type Issue } from '../runtime/validation/index.ts';
import { RESULT_SCHEMA_VERSION, type ConformanceResult } from '../scenarios/result.ts';

export function serializeResults(result: ConformanceResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** Writes results.json (creating its directory). */
export async function writeResults(path: string, result: ConformanceResult): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, serializeResults(result));
}

export type ResultFileProblem = 'unreadable' | 'not-json' | 'other-version' | 'invalid';

/** results.json could not be used; `message` says why and what to do. */
export class ResultFileError extends Error {
  readonly code = 'RADMFA_RESULT_FILE';

  constructor(
    readonly source: string,
    readonly problem: ResultFileProblem,
    message: string,
    readonly issues: readonly Issue[] = [],
  ) {
    super(`${source}: ${message}`);
    this.name = 'ResultFileError';
  }
}

const STATUSES = ['passed', 'failed', 'skipped'];

/** Checks the fields the renderers rely on, every problem at once. */
function checkShape(input: Readonly<Record<string, unknown>>): Issue[] {
  const issues = new IssueCollector();
  if (input.kind !== 'conformance') {
    issues.add(
      'kind',
      `must be "conformance", got ${JSON.stringify(input.kind)}`,
      'pass a `radmfa run` results.json',
    );
  }
  issues.object(input.target, 'target');
  issues.object(input.summary, 'summary');
  const suites = issues.array(input.suites, 'suites');
  if (input.suites === undefined) issues.add('suites', 'is missing', 'pass a complete results.json');
  suites.forEach((suite, i) => {
    const s = issues.object(suite, `suites[${i}]`);
    issues.string(s.name, `suites[${i}].name`, '');
    issues.array(s.cases, `suites[${i}].cases`).forEach((entry, j) => {
      const c = issues.object(entry, `suites[${i}].cases[${j}]`);
      const at = `suites[${i}].cases[${j}]`;
      issues.string(c.id, `${at}.id`, '');
      issues.oneOf(c.status, `${at}.status`, 'failed', STATUSES);
      if (c.status === undefined) issues.add(`${at}.status`, 'is missing', 'every case carries a status');
    });
  });
  return issues.issues;
}

/** A result file's JSON; text that is not JSON is a ResultFileError naming the file. */
export function parseResultJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ResultFileError(source, 'not-json', `is not JSON (${detail})`);
  }
}

/** Parses results.json text; throws ResultFileError naming the version or every wrong field. */
export function parseResults(text: string, source = 'results.json'): ConformanceResult {
  const input = parseResultJson(text, source);
  if (!isPlainObject(input)) {
    throw new ResultFileError(source, 'invalid', 'must hold a JSON object written by `radmfa run`');
  }
  if (input.schemaVersion !== RESULT_SCHEMA_VERSION) {
    const tool =
      isPlainObject(input.tool) && typeof input.tool.version === 'string' ? input.tool.version : undefined;
    throw new ResultFileError(
      source,
      'other-version',
      `has schemaVersion ${JSON.stringify(input.schemaVersion ?? null)}, but this radmfa reads schemaVersion ` +
        `${RESULT_SCHEMA_VERSION}. Fix: run the suites again with this radmfa to write a new results.json` +
        (tool === undefined ? '' : `, or render it with radmfa ${tool}, which wrote it`),
    );
  }
  const issues = checkShape(input);
  if (issues.length > 0) {
    throw new ResultFileError(
      source,
      'invalid',
      `is not a complete result:\n${formatIssues(issues)}`,
      issues,
    );
  }
  // The checks above cover what the renderers index into; the rest is the writer's contract.
  return input as unknown as ConformanceResult;
}

/** Reads results.json back, checking its schemaVersion. */
export async function readResults(path: string): Promise<ConformanceResult> {
  return parseResults(await readResultText(path), path);
}

/** A result file's text; a file that cannot be read is a ResultFileError naming it. */
export async function readResultText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ResultFileError(path, 'unreadable', `cannot be read (${detail})`);
  }
}
