// Reports of `radmfa validate-nas`, rendered from its result JSON alone: results.json, junit.xml (one
// testcase per check per NAS: fail is a <failure>, warn is a <skipped> with the reason, so CI shows
// it without failing), summary.md and a self-contained index.html (no script, no network).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  NAS_CHECKS,
  type NasCheck,
  type NasEntry,
  type NasValidationResult,
  type Verdict,
} from '../scenarios/nas-validation/result.ts';
import { escapeHtml, escapeXml, escapeXmlAttribute, htmlDocumentStart } from './text.ts';

export const NAS_REPORT_FILE_NAMES = {
  results: 'results.json',
  junit: 'junit.xml',
  summary: 'summary.md',
  html: 'index.html',
} as const;

const ICON: Readonly<Record<Verdict, string>> = { pass: '✓', warn: '!', fail: '✗' };

const ms = (value: number | null): string =>
  value === null ? 'not measured' : value >= 1000 ? `${Number((value / 1000).toFixed(1))} s` : `${value} ms`;

function retransmissionText(n: NasEntry): string {
  if (n.retransmission === 'same') return 'same (RFC 5080: Identifier and authenticator kept)';
  if (n.retransmission === 'naive') return 'naive (each retransmission is a new request)';
  return 'none seen';
}

/** The facts of one NAS as label/value rows (shared by Markdown and HTML). */
function facts(n: NasEntry): [string, string][] {
  return [
    ['timeout (first wait)', ms(n.timeoutMs)],
    ['transmissions per server', n.transmissions === null ? 'not measured' : String(n.transmissions)],
    ['gives up on a server after', ms(n.giveUpMs)],
    ['waits seen', n.intervalsMs.length === 0 ? '–' : n.intervalsMs.map((w) => ms(w)).join(', ')],
    ['backoff', n.backoff],
    ['retransmission', retransmissionText(n)],
    ['Message-Authenticator', n.messageAuthenticator],
    ['NAS-IP-Address', n.nasIpAddress ?? '–'],
    ['NAS-Identifier', n.nasIdentifier ?? '–'],
    ['Calling-Station-Id', n.callingStationId ? 'always' : 'not always'],
    ['methods', n.authMethods.join(', ') || '–'],
    ['Status-Server', String(n.statusServer)],
    ['accounting', `Start ${n.accounting.start}, Stop ${n.accounting.stop}, Interim ${n.accounting.interim}`],
    ['failovers', String(n.failovers)],
  ];
}

// ---------------------------------------------------------------- JUnit

function testcase(n: NasEntry, c: NasCheck): string {
  const name = `${NAS_CHECKS[c.id].title} [${c.id}]`;
  const head = `<testcase classname="validate-nas.${escapeXmlAttribute(n.address)}" name="${escapeXmlAttribute(name)}" time="0">`;
  const out = `<system-out>${escapeXml(`${c.detail}\nwhy: ${c.why}`)}</system-out>`;
  if (c.verdict === 'fail')
    return `${head}<failure message="${escapeXmlAttribute(c.detail)}">${escapeXml(c.why)}</failure>${out}</testcase>`;
  if (c.verdict === 'warn')
    return `${head}<skipped message="${escapeXmlAttribute(`warning: ${c.detail}`)}"/>${out}</testcase>`;
  return `${head}${out}</testcase>`;
}

export function renderNasJunit(result: NasValidationResult): string {
  const suites = result.nas.map((n) => {
    const failures = n.checks.filter((c) => c.verdict === 'fail').length;
    const skipped = n.checks.filter((c) => c.verdict === 'warn').length;
    return (
      `  <testsuite name="validate-nas ${escapeXmlAttribute(n.address)}" tests="${n.checks.length}" failures="${failures}" ` +
      `errors="0" skipped="${skipped}" timestamp="${escapeXmlAttribute(result.startedAt)}">\n` +
      n.checks.map((c) => `    ${testcase(n, c)}`).join('\n') +
      '\n  </testsuite>'
    );
  });
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="radmfa validate-nas" tests="${result.summary.checks}" ` +
    `failures="${result.summary.fail}" errors="0" skipped="${result.summary.warn}">\n${suites.join('\n')}\n</testsuites>\n`
  );
}

// ---------------------------------------------------------------- Markdown

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderNasMarkdown(result: NasValidationResult): string {
  const s = result.summary;
  const lines = [
    '# radmfa validate-nas',
    '',
    `${s.checks} checks over ${result.nas.length} NAS address(es): ${s.pass} pass, ${s.warn} warn, ${s.fail} fail. ` +
      `Server ${result.servers.primary}${result.servers.secondary !== undefined ? `, secondary ${result.servers.secondary}` : ''}; ` +
      `${result.capture.packets} packets; stopped by ${result.stoppedBy}.`,
  ];
  if (result.nas.length === 0)
    lines.push('', 'No NAS sent anything: check its server address, port and shared secret.');
  for (const n of result.nas) {
    lines.push('', `## NAS ${n.address}`, '', '| | |', '| --- | --- |');
    for (const [label, value] of facts(n)) lines.push(`| ${label} | ${cell(value)} |`);
    lines.push('', '| check | verdict | seen | why |', '| --- | --- | --- | --- |');
    for (const c of n.checks)
      lines.push(`| ${c.id} | ${ICON[c.verdict]} ${c.verdict} | ${cell(c.detail)} | ${cell(c.why)} |`);
    lines.push(
      '',
      'Timeout this NAS needs (per transmission, with what was measured):',
      '',
      '| MFA answered after | set timeout to | as measured |',
      '| --- | --- | --- |',
    );
    for (const a of n.advice)
      lines.push(
        `| ${ms(a.mfaResponseMs)} | ${ms(a.neededTimeoutMs)} | ${a.meets ? 'enough' : 'too short'} |`,
      );
  }
  if (result.users.length > 0) {
    lines.push(
      '',
      '## Probe users',
      '',
      '| user | NAS | expected | outcome | prompts | packets | duration |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const u of result.users)
      lines.push(
        `| ${u.user} | ${u.nas} | ${cell(u.expectation)} | ${u.outcome} | ${u.prompts} | ${u.packets} | ${u.durationMs === undefined ? '–' : ms(u.durationMs)} |`,
      );
  }
  if (result.steps !== undefined && result.steps.length > 0) {
    lines.push('', '## Steps', '');
    for (const step of result.steps)
      lines.push(
        `- ${step.outcome === 'ok' ? '✓' : '✗'} ${step.label}${step.detail !== undefined ? `: ${step.detail}` : ''}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- HTML

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1d2330}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #dde;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f8}.pass{color:#176b2c}.warn{color:#8a5a00}.fail{color:#a4161a;font-weight:600}
.why{color:#555;font-size:.9em}.summary span{margin-right:1rem}
`;

const verdictCell = (v: Verdict): string => `<td class="${v}">${ICON[v]} ${v}</td>`;

function nasSection(n: NasEntry): string {
  const factRows = facts(n)
    .map(([label, value]) => `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('');
  const checkRows = n.checks
    .map(
      (c) =>
        `<tr><td><code>${escapeHtml(c.id)}</code><br>${escapeHtml(NAS_CHECKS[c.id].title)}</td>${verdictCell(c.verdict)}` +
        `<td>${escapeHtml(c.detail)}<div class="why">${escapeHtml(c.why)}</div></td></tr>`,
    )
    .join('');
  const adviceRows = n.advice
    .map(
      (a) =>
        `<tr><td>${ms(a.mfaResponseMs)}</td><td>${ms(a.neededTimeoutMs)}</td><td class="${a.meets ? 'pass' : 'fail'}">${a.meets ? 'enough' : 'too short'}</td></tr>`,
    )
    .join('');
  return (
    `<section><h2>NAS ${escapeHtml(n.address)}</h2><table>${factRows}</table>` +
    `<table><tr><th>check</th><th>verdict</th><th>seen, and why it matters</th></tr>${checkRows}</table>` +
    `<p>Timeout this NAS needs, per transmission, with what was measured:</p>` +
    `<table><tr><th>MFA answered after</th><th>set timeout to</th><th>as measured</th></tr>${adviceRows}</table></section>`
  );
}

export function renderNasHtml(result: NasValidationResult): string {
  const s = result.summary;
  const users =
    result.users.length === 0
      ? ''
      : `<h2>Probe users</h2><table><tr><th>user</th><th>NAS</th><th>expected</th><th>outcome</th><th>prompts</th><th>packets</th><th>duration</th></tr>${result.users
          .map(
            (u) =>
              `<tr><td>${escapeHtml(u.user)}</td><td>${escapeHtml(u.nas)}</td><td>${escapeHtml(u.expectation)}</td>` +
              `<td class="${u.success ? 'pass' : u.outcome === 'reject' ? 'warn' : 'fail'}">${escapeHtml(u.outcome)}</td>` +
              `<td>${u.prompts}</td><td>${u.packets}</td><td>${u.durationMs === undefined ? '–' : ms(u.durationMs)}</td></tr>`,
          )
          .join('')}</table>`;
  return `${htmlDocumentStart('radmfa validate-nas', CSS)}<h1>radmfa validate-nas</h1>
<p class="summary"><span class="pass">${s.pass} pass</span><span class="warn">${s.warn} warn</span><span class="fail">${s.fail} fail</span>
<span>${result.nas.length} NAS address(es), ${result.capture.packets} packets, server ${escapeHtml(result.servers.primary)}${result.servers.secondary !== undefined ? `, secondary ${escapeHtml(result.servers.secondary)}` : ''}, started ${escapeHtml(result.startedAt)}</span></p>
${result.nas.length === 0 ? '<p>No NAS sent anything: check its server address, port and shared secret.</p>' : result.nas.map(nasSection).join('\n')}
${users}
</body></html>
`;
}

export interface NasReportFiles {
  readonly results: string;
  readonly junit: string;
  readonly summary: string;
  readonly html: string;
}

/** Writes results.json, junit.xml, summary.md and index.html into `dir` (created if missing). */
export async function writeNasReports(result: NasValidationResult, dir: string): Promise<NasReportFiles> {
  await mkdir(dir, { recursive: true });
  const files: NasReportFiles = {
    results: join(dir, NAS_REPORT_FILE_NAMES.results),
    junit: join(dir, NAS_REPORT_FILE_NAMES.junit),
    summary: join(dir, NAS_REPORT_FILE_NAMES.summary),
    html: join(dir, NAS_REPORT_FILE_NAMES.html),
  };
  await Promise.all([
    writeFile(files.results, `${JSON.stringify(result, null, 2)}\n`),
    writeFile(files.junit, renderNasJunit(result)),
    writeFile(files.summary, renderNasMarkdown(result)),
    writeFile(files.html, renderNasHtml(result)),
  ]);
  return files;
}
