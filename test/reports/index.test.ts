import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readResults,
  renderHtml,
  renderJunit,
  renderSummaryMarkdown,
  writeReports,
} from '../../reports/index.ts';
import { sampleResult } from './sample-result.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radmfa-write-reports-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeReports', () => {
  it('writes results.json, junit.xml, summary.md and index.html into a new directory', async () => {
    const result = sampleResult();
    const out = join(dir, 'reports', 'out');
    const files = await writeReports(result, out);
    expect(files).toEqual({
      results: join(out, 'results.json'),
      junit: join(out, 'junit.xml'),
      summary: join(out, 'summary.md'),
      html: join(out, 'index.html'),
    });
    expect((await readdir(out)).sort()).toEqual(['index.html', 'junit.xml', 'results.json', 'summary.md']);
    // Every report renders from results.json alone: rendering what was read back gives the same files.
    const back = await readResults(files.results);
    expect(await readFile(files.junit, 'utf8')).toBe(renderJunit(back));
    expect(await readFile(files.summary, 'utf8')).toBe(renderSummaryMarkdown(back));
    expect(await readFile(files.html, 'utf8')).toBe(renderHtml(back));
  });
});
