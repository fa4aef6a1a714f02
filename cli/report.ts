// `radmfa report merge FILE... --out DIR`: the results of the execution segments of one load run
// (one per process or machine) added into one: counters add, HDR histograms merge, thresholds are
// evaluated again on the sum, and every report is written as for a single run.
import { formatIssues, type Issue } from '../runtime/validation/index.ts';
import { mergeLoadResults, MergeError } from '../scenarios/load/result.ts';
import {
  readLoadResult,
  renderLoadMarkdown,
  renderLoadSummaryText,
  writeLoadReports,
} from '../reports/load.ts';
import { ResultFileError } from '../reports/json.ts';
import { appendStepSummary } from '../reports/summary-markdown.ts';
import { resolve } from 'node:path';
import { defineCommand } from './command-line.ts';
import { ExitCode } from './exit-codes.ts';

const ACTIONS = ['merge'] as const;

export const reportCommand = defineCommand({
  name: 'report',
  summary: 'radmfa report merge: add the results of execution segments into one',
  description: `radmfa report merge FILE... --out DIR reads the results.json of each execution segment of
one load run (radmfa load --segment FROM:TO), adds them (counters add, HDR histograms merge, the
per-second series add second by second), evaluates the thresholds again on the merged data and
writes results.json, junit.xml, series.csv, summary.md and index.html to DIR. Exits 99 when a
threshold fails on the merged data, as radmfa load does.`,
  positionals: { name: 'ACTION FILE', help: 'merge, then the results.json files', repeatable: true },
  flags: {
    out: {
      type: 'string',
      placeholder: 'DIR',
      default: 'reports/load-merged',
      help: 'where the merged reports go',
    },
  },
  exits: [
    [ExitCode.Ok, 'merged; every threshold passed'],
    [ExitCode.Failure, 'a file could not be read or the results do not belong together'],
    [ExitCode.ThresholdsFailed, 'a threshold fails on the merged data'],
    [ExitCode.Usage, ''],
  ],
  prepare: ({ values, positionals, issues }) => {
    const [action, ...files] = positionals;
    if (action === undefined || !(ACTIONS as readonly string[]).includes(action)) {
      issues.add(
        'ACTION',
        action === undefined ? 'is missing' : `"${action}" is not a report action`,
        'write radmfa report merge FILE... --out DIR',
      );
    }
    if (files.length === 0)
      issues.add('FILE', 'no result file was given', 'give the results.json of each segment');
    return { files, out: resolve(values.out ?? 'reports/load-merged') };
  },
  run: async ({ files, out }, io) => {
    let results;
    try {
      results = await Promise.all(files.map((file) => readLoadResult(file)));
    } catch (error) {
      if (error instanceof ResultFileError) {
        io.err(`radmfa report merge: ${error.message}\n`);
        return ExitCode.Failure;
      }
      throw error;
    }
    let merged;
    try {
      merged = mergeLoadResults(results);
    } catch (error) {
      if (error instanceof MergeError) {
        const issue: Issue = {
          path: 'FILE',
          message: error.message,
          fix: 'merge the results.json of the segments of one run, each once',
        };
        io.err(`radmfa report merge: the results do not belong together\n${formatIssues([issue])}\n`);
        return ExitCode.Failure;
      }
      throw error;
    }
    const written = await writeLoadReports(merged, out);
    const stepSummary = await appendStepSummary(renderLoadMarkdown(merged), process.env);
    io.out(renderLoadSummaryText(merged));
    io.err(
      `Merged ${files.length} results (segments ${merged.segments.join(', ')}) into ${written.results}\n` +
        (stepSummary !== undefined ? `  appended to ${stepSummary} (GITHUB_STEP_SUMMARY)\n` : ''),
    );
    return merged.passed ? ExitCode.Ok : ExitCode.ThresholdsFailed;
  },
});
