// validate-nas reports render from the result alone: one JUnit testcase per check (fail: failure,
// warn: skipped), Markdown and HTML with every check, hostile text escaped.
import { describe, expect, test } from 'vitest';
import { renderNasHtml, renderNasJunit, renderNasMarkdown } from '../../reports/nas-validation.ts';
import {
  NAS_CHECKS,
  RESULT_SCHEMA_VERSION,
  type NasValidationResult,
} from '../../scenarios/nas-validation/result.ts';

const result: NasValidationResult = {
  schemaVersion: RESULT_SCHEMA_VERSION,
  kind: 'nas-validation',
  tool: { name: 'radmfa', version: '0.1.0' },
  startedAt: '2025-01-06T09:00:00.000Z',
  durationMs: 60_000,
  stoppedBy: 'steps',
  servers: { primary: '127.0.0.1:1812' },
  summary: { checks: 3, pass: 1, warn: 1, fail: 1 },
  nas: [
    {
      address: '192.0.2.1',
      timeoutMs: 3000,
      transmissions: 3,
      giveUpMs: 9000,
      intervalsMs: [3000, 3000],
      backoff: 'fixed',
      retransmission: 'same',
      messageAuthenticator: 'first',
      nasIdentifier: '<script>alert(1)</script>',
      callingStationId: true,
      authMethods: ['pap'],
      statusServer: 0,
      accounting: { start: 0, stop: 0, interim: 0, other: 0 },
      failovers: 0,
      packets: 6,
      advice: [{ mfaResponseMs: 60_000, neededTimeoutMs: 22_000, meets: false }],
      checks: [
        {
          id: 'timeout-covers-mfa',
          verdict: 'fail',
          why: NAS_CHECKS['timeout-covers-mfa'].why,
          detail: 'waits 9 s in all',
        },
        {
          id: 'retransmission-same',
          verdict: 'pass',
          why: NAS_CHECKS['retransmission-same'].why,
          detail: 'kept',
        },
        { id: 'status-server', verdict: 'warn', why: NAS_CHECKS['status-server'].why, detail: 'none & none' },
      ],
    },
  ],
  users: [
    {
      user: 'probe-approve-10s',
      nas: '192.0.2.1',
      expectation: 'push approved after 10 s',
      outcome: 'late-accept',
      success: false,
      attempts: 1,
      packets: 4,
      prompts: 1,
      durationMs: 10_000,
    },
  ],
  capture: { packets: 6, dropped: 0 },
};

describe('validate-nas reports', () => {
  test('JUnit: one testcase per check; fail is a failure, warn is skipped', () => {
    const xml = renderNasJunit(result);
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml.match(/<skipped /g)).toHaveLength(1);
    expect(xml).toContain('failures="1"');
    expect(xml).toContain('none &amp; none');
  });

  test('Markdown: facts, every check with its why, the advice and the users', () => {
    const md = renderNasMarkdown(result);
    expect(md).toContain('| timeout (first wait) | 3 s |');
    expect(md).toContain('| gives up on a server after | 9 s |');
    for (const c of result.nas[0]?.checks ?? []) expect(md).toContain(`| ${c.id} |`);
    expect(md).toContain('| 60 s | 22 s | too short |');
    expect(md).toContain('| probe-approve-10s | 192.0.2.1 | push approved after 10 s | late-accept |');
  });

  test('HTML: self-contained, text escaped', () => {
    const html = renderNasHtml(result);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });
});
