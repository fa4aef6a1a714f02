import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendStepSummary, escapeMarkdown, renderSummaryMarkdown } from '../../reports/summary-markdown.ts';
import { sampleResult } from './sample-result.ts';

const result = sampleResult();
const markdown = renderSummaryMarkdown(result);
const lines = markdown.split('\n');

/** The table that follows a heading: its rows split into cells (escaped pipes stay inside a cell). */
function tableAfter(heading: string): string[][] {
  const start = lines.indexOf(heading);
  expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('|')) {
      if (rows.length > 0) break;
      continue;
    }
    rows.push(
      line
        .slice(2, -2)
        .split(/(?<!\\) \| /)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'radmfa-summary-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('summary.md', () => {
  it('starts with the totals and the target', () => {
    expect(lines[0]).toBe('# ❌ radmfa conformance: 19 passed, 3 failed, 2 skipped of 24');
    expect(markdown).toContain('Target: reference server (embedded default) (`embedded`)');
    expect(markdown).toContain('seed 42');
  });

  it('has one table per suite with status, case, target and reason, skipped cases with their reason', () => {
    for (const suite of result.suites) {
      const table = tableAfter(`## Suite ${escapeMarkdown(suite.name)}`);
      expect(table[0]).toEqual(['status', 'case', 'target', 'outcome / reason']);
      expect(table.slice(2)).toHaveLength(suite.cases.length);
    }
    const protocol = tableAfter('## Suite protocol').slice(2);
    expect(protocol[3]).toEqual([
      '⏭️ skipped',
      'A request from an unknown client gets no answer (`unknown-client`)',
      'external',
      'needs a second source address; target 127.0.0.1:1812 &lt;external&gt; cannot provide one',
    ]);
    expect(protocol[0]?.[3]).toBe('silent');
  });

  it('names the duplicate behaviour a case saw', () => {
    expect(tableAfter('## Suite dedupe')[5]).toEqual([
      '✅ passed',
      'What the server does with an exact retransmission (`behaviour-named`)',
      'external',
      'accept; duplicates: replay (RFC 5080 2.2.2)',
    ]);
  });

  it("lists every failing case's failures under its suite", () => {
    const start = lines.indexOf('### Failures in dedupe');
    expect(start).toBeGreaterThan(0);
    expect(lines.slice(start + 2, start + 6)).toEqual([
      '- **A retransmission while MFA is pending sends no second prompt** (`retransmit-while-pending`): seed: "duplicate requests received while the MFA call is in flight are discarded"',
      '  - expect.mfaPrompts: expected 1, got 2',
      '  - expect.discards.in-flight: expected 2, got 1',
      '  - observed: MFA prompts 2 · discards in-flight 1',
    ]);
  });

  it('draws the nas-timeouts matrix as rows x columns in numeric column order, cell = verdict + outcome', () => {
    const table = tableAfter('## Matrix nas-timeouts');
    expect(table[0]).toEqual(['NAS profile / MFA answers after', '2 s', '10 s', '30 s', '60 s', '90 s']);
    expect(table.slice(2).map((row) => row[0])).toEqual(['**cisco-asa**', '**fortigate**', '**seed-60s**']);
    expect(table[3]).toEqual([
      '**fortigate**',
      '✅ accept',
      '✅ accept',
      '✅ timeout',
      '✅ timeout',
      '⏭️ skipped',
    ]);
    expect(table[4]?.[3]).toBe('❌ timeout');
  });

  it('has a properties table with the replay seed and path', () => {
    const table = tableAfter('## Properties');
    expect(table[3]?.[0]).toBe('❌ failed');
    expect(table[3]?.[4]).toBe('`--seed 1234` path `16:2:0`');
    expect(table[2]?.[3]).toBe('1250');
  });

  it('escapes markup, pipes and control characters so a title cannot break a row or inject HTML', () => {
    expect(markdown).not.toContain('<script>');
    expect(markdown).toContain('Proxy-State &lt;script&gt;alert("x")&lt;/script&gt; &amp; \'echo\' ␇bell␀');
    const piped = sampleResult();
    const first = piped.suites[0]!;
    const cases = [{ ...first.cases[0]!, title: 'a | b\nc *d*' }];
    const table = renderSummaryMarkdown({ ...piped, suites: [{ ...first, cases }] });
    const row = table.split('\n').find((line) => line.includes('a \\| b'));
    expect(row).toBe('| ✅ passed | a \\| b c \\*d\\* (`ma-wrong`) | embedded-virtual | silent |');
  });
});

describe('appendStepSummary', () => {
  it('does nothing without $GITHUB_STEP_SUMMARY', async () => {
    expect(await appendStepSummary('# x\n', {})).toBeUndefined();
    expect(await appendStepSummary('# x\n', { GITHUB_STEP_SUMMARY: '' })).toBeUndefined();
  });

  it('appends to the named file, keeping what earlier steps wrote', async () => {
    const file = join(dir, 'step-summary.md');
    await writeFile(file, 'earlier step\n');
    expect(await appendStepSummary(markdown, { GITHUB_STEP_SUMMARY: file })).toBe(file);
    expect(await appendStepSummary('no newline', { GITHUB_STEP_SUMMARY: file })).toBe(file);
    expect(await readFile(file, 'utf8')).toBe(`earlier step\n${markdown}no newline\n`);
  });
});
