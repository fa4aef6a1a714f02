// junit.xml for CI: one <testsuite> per suite, one <testcase> per case, skipped cases with their
// reason, failed cases with every failed expectation. Properties are a "properties" testsuite so a
// failing property fails the CI job the same way. The dialect is the common one Jenkins, GitLab and
// GitHub test reporters read (testsuites > testsuite > testcase > failure | skipped, system-out).
import type { CaseResult, ConformanceResult, PropertyResult, SuiteResult } from '../scenarios/result.ts';
import {
  escapeXml,
  escapeXmlAttribute,
  failureLine,
  formatAt,
  formatDuration,
  junitSeconds,
  observedLine,
  differencesLine,
  unobservedLine,
} from './text.ts';

type Attributes = Readonly<Record<string, string | number>>;

function attrs(attributes: Attributes): string {
  return Object.entries(attributes)
    .map(([key, value]) => ` ${key}="${escapeXmlAttribute(String(value))}"`)
    .join('');
}

/** `indent` puts each child on its own line (suites and cases); without it children run inline. */
function element(
  name: string,
  attributes: Attributes,
  children: readonly string[] = [],
  indent?: string,
): string {
  if (children.length === 0) return `<${name}${attrs(attributes)}/>`;
  const inner =
    indent === undefined ? children.join('') : `\n${indent}  ${children.join(`\n${indent}  `)}\n${indent}`;
  return `<${name}${attrs(attributes)}>${inner}</${name}>`;
}

function text(name: string, attributes: Attributes, body: string): string {
  return `<${name}${attrs(attributes)}>${escapeXml(body)}</${name}>`;
}

/** The case's name in CI listings: the title people read plus the id the suite file uses. */
export function junitCaseName(result: Pick<CaseResult, 'title' | 'id'>): string {
  return `${result.title} [${result.id}]`;
}

/** What a CI reader needs beside the verdict: why the case exists and what happened, packet by packet. */
function caseOutput(result: CaseResult): string {
  const lines = [`why: ${result.why}`, `target: ${result.target}`];
  if (observedLine(result) !== '') lines.push(`observed: ${observedLine(result)}`);
  if (differencesLine(result) !== '') lines.push(differencesLine(result));
  if (unobservedLine(result) !== '') lines.push(unobservedLine(result));
  for (const step of result.steps) {
    const timing = step.durationMs === undefined ? '' : ` in ${formatDuration(step.durationMs)}`;
    lines.push(
      `step ${step.kind} "${step.label}": ${step.outcome}${step.replyCode ? ` (${step.replyCode})` : ''}${timing}`,
    );
  }
  for (const event of result.timeline) {
    const tone = event.tone === undefined || event.tone === 'normal' ? '' : ` [${event.tone}]`;
    lines.push(`${formatAt(event.atMs).padStart(12)}  ${event.from} -> ${event.to}: ${event.label}${tone}`);
  }
  return lines.join('\n');
}

function testcase(result: CaseResult, classname: string): string {
  const attributes = { classname, name: junitCaseName(result), time: junitSeconds(result.durationMs) };
  const children: string[] = [];
  if (result.status === 'skipped') {
    children.push(element('skipped', { message: result.reason ?? 'skipped' }));
  } else if (result.status === 'failed') {
    const lines = result.failures.map(failureLine);
    const more = lines.length > 1 ? ` (and ${lines.length - 1} more)` : '';
    const message = `${result.reason ?? lines[0] ?? 'failed'}${more}`;
    children.push(
      text('failure', { message, type: 'ExpectationFailed' }, lines.length > 0 ? lines.join('\n') : message),
    );
  }
  children.push(text('system-out', {}, caseOutput(result)));
  return element('testcase', attributes, children, '    ');
}

function testsuite(suite: SuiteResult, timestamp: string): string {
  const { summary } = suite;
  return element(
    'testsuite',
    {
      name: suite.name,
      tests: summary.total,
      failures: summary.failed,
      errors: 0,
      skipped: summary.skipped,
      time: junitSeconds(suite.durationMs),
      timestamp,
      ...(suite.file === undefined ? {} : { file: suite.file }),
    },
    suite.cases.map((c) => testcase(c, suite.name)),
    '  ',
  );
}

function propertyCase(property: PropertyResult): string {
  const children: string[] = [];
  const replay = `seed ${property.seed}${property.path === undefined ? '' : `, path ${property.path}`}`;
  if (property.status === 'skipped') {
    children.push(element('skipped', { message: property.reason ?? 'skipped' }));
  } else if (property.status === 'failed') {
    const body = [
      property.reason ?? 'property failed',
      `replay: radmfa run properties --property ${property.name} --seed ${property.seed}${property.path === undefined ? '' : ` --path ${property.path}`}`,
      ...(property.counterexample === undefined ? [] : [`counterexample: ${property.counterexample}`]),
    ].join('\n');
    children.push(
      text(
        'failure',
        { message: `${property.reason ?? 'property failed'} (${replay})`, type: 'PropertyFailed' },
        body,
      ),
    );
  }
  children.push(
    text(
      'system-out',
      {},
      `why: ${property.why}\nruns: ${property.runs}, logins: ${property.logins}, ${replay}`,
    ),
  );
  return element(
    'testcase',
    {
      classname: 'properties',
      name: `${property.title} [${property.name}]`,
      time: junitSeconds(property.durationMs),
    },
    children,
    '    ',
  );
}

function propertiesSuite(properties: readonly PropertyResult[], timestamp: string): string {
  const count = (status: PropertyResult['status']): number =>
    properties.filter((p) => p.status === status).length;
  return element(
    'testsuite',
    {
      name: 'properties',
      tests: properties.length,
      failures: count('failed'),
      errors: 0,
      skipped: count('skipped'),
      time: junitSeconds(properties.reduce((sum, p) => sum + p.durationMs, 0)),
      timestamp,
    },
    properties.map(propertyCase),
    '  ',
  );
}

/** Renders junit.xml from the result JSON alone. */
export function renderJunit(result: ConformanceResult): string {
  const properties = result.properties ?? [];
  const suites = result.suites.map((suite) => testsuite(suite, result.startedAt));
  if (properties.length > 0) suites.push(propertiesSuite(properties, result.startedAt));
  const failedProperties = properties.filter((p) => p.status === 'failed').length;
  const skippedProperties = properties.filter((p) => p.status === 'skipped').length;
  const root = element(
    'testsuites',
    {
      name: `radmfa conformance (${result.target.description})`,
      tests: result.summary.total + properties.length,
      failures: result.summary.failed + failedProperties,
      errors: 0,
      skipped: result.summary.skipped + skippedProperties,
      time: junitSeconds(result.durationMs),
      timestamp: result.startedAt,
    },
    suites,
    '',
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}\n`;
}
