import type { SuiteResult } from '../scenarios/types.ts';

const escape = (text: string): string => text.replace(/\|/g, '\\|');

/** A Markdown report, rendered from the result JSON alone. */
export function renderMarkdown(result: SuiteResult): string {
  const { summary } = result;
  const lines = [
    `# radmfa conformance: ${result.suite}`,
    '',
    `${result.description}.`,
    '',
    `Target: ${result.target.kind} server at ${result.target.host}:${result.target.port}. ` +
      `Started ${result.startedAt}, took ${(result.durationMs / 1000).toFixed(1)} s.`,
    '',
    `**${summary.passed} passed, ${summary.failed} failed** of ${summary.total}.`,
    '',
    '| | case | method | outcome | datagrams | MFA prompts | time | notes |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const c of result.cases) {
    lines.push(
      `| ${c.passed ? 'PASS' : 'FAIL'} | ${escape(c.title)} | ${c.method} | ${c.actual.replyCode ?? c.actual.outcome} | ` +
        `${c.actual.transmissions} | ${c.actual.mfaPrompts ?? '-'} | ${(c.actual.totalTimeMs / 1000).toFixed(1)} s | ` +
        `${escape(c.failures.join('; '))} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
