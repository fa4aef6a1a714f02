// Every report of a run, from the one result: results.json first (the others can be rendered again
// from it with `radmfa report`), then junit.xml, summary.md and index.html.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConformanceResult } from '../scenarios/result.ts';
import { renderHtml } from './html.ts';
import { writeResults } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderSummaryMarkdown } from './summary-markdown.ts';

export { appendStepSummary, renderSummaryMarkdown, type StepSummaryEnv } from './summary-markdown.ts';
export { parseResults, readResults, ResultFileError, writeResults } from './json.ts';
export { renderHtml } from './html.ts';
export { renderJunit } from './junit.ts';

/** Paths of the files writeReports wrote. */
export interface ReportFiles {
  readonly results: string;
  readonly junit: string;
  readonly summary: string;
  readonly html: string;
}

export const REPORT_FILE_NAMES = {
  results: 'results.json',
  junit: 'junit.xml',
  summary: 'summary.md',
  html: 'index.html',
} as const;

/** Writes results.json, junit.xml, summary.md and index.html into `dir` (created if missing). */
export async function writeReports(result: ConformanceResult, dir: string): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = {
    results: join(dir, REPORT_FILE_NAMES.results),
    junit: join(dir, REPORT_FILE_NAMES.junit),
    summary: join(dir, REPORT_FILE_NAMES.summary),
    html: join(dir, REPORT_FILE_NAMES.html),
  };
  await writeResults(files.results, result);
  await Promise.all([
    writeFile(files.junit, renderJunit(result)),
    writeFile(files.summary, renderSummaryMarkdown(result)),
    writeFile(files.html, renderHtml(result)),
  ]);
  return files;
}
