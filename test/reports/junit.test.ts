import { describe, expect, it } from 'vitest';
import { junitCaseName, renderJunit } from '../../reports/junit.ts';
import { visibleText } from '../../reports/text.ts';
import { FAILING_DEDUPE_CASE, HOSTILE_TITLE, sampleResult } from './sample-result.ts';
import { findAll, parseXml, type XmlElement } from './xml.ts';

const result = sampleResult();
const xml = renderJunit(result);
const root = parseXml(xml);

function testcase(name: string): XmlElement {
  const found = findAll(root, 'testcase').find((c) => c.attributes.name === name);
  if (found === undefined) throw new Error(`no testcase named ${name}`);
  return found;
}

describe('junit.xml', () => {
  it('is well-formed XML with one testsuite per suite plus one for the properties', () => {
    expect(root.name).toBe('testsuites');
    const suites = findAll(root, 'testsuite').map((s) => s.attributes.name);
    expect(suites).toEqual([...result.suites.map((s) => s.name), 'properties']);
  });

  it('has one testcase per case, classname the suite and name the title plus the id', () => {
    const cases = result.suites.flatMap((s) => s.cases);
    const properties = result.properties ?? [];
    expect(findAll(root, 'testcase')).toHaveLength(cases.length + properties.length);
    for (const suite of findAll(root, 'testsuite').filter((s) => s.attributes.name !== 'properties')) {
      const source = result.suites.find((s) => s.name === suite.attributes.name);
      expect(suite.children.map((c) => c.attributes.classname)).toEqual(source?.cases.map((c) => c.suite));
      expect(suite.children.map((c) => c.attributes.name)).toEqual(
        source?.cases.map((c) => `${visibleText(c.title)} [${c.id}]`),
      );
      expect(suite.attributes.tests).toBe(String(source?.summary.total));
      expect(suite.attributes.failures).toBe(String(source?.summary.failed));
      expect(suite.attributes.skipped).toBe(String(source?.summary.skipped));
    }
    expect(root.attributes.tests).toBe(String(result.summary.total + properties.length));
    expect(root.attributes.failures).toBe(String(result.summary.failed + 1));
  });

  it('gives a failed case a <failure> whose message is the reason and whose body lists every failure', () => {
    const failure = findAll(testcase(junitCaseName(FAILING_DEDUPE_CASE)), 'failure');
    expect(failure).toHaveLength(1);
    expect(failure[0]?.attributes.message).toBe('expect.mfaPrompts: expected 1, got 2 (and 1 more)');
    expect(failure[0]?.text).toBe(
      'expect.mfaPrompts: expected 1, got 2\nexpect.discards.in-flight: expected 2, got 1',
    );
    const out = findAll(testcase(junitCaseName(FAILING_DEDUPE_CASE)), 'system-out')[0]?.text ?? '';
    expect(out).toContain('t=5.002 s  server -> server: discard (in-flight) [discard]');
    expect(out).toContain('observed: MFA prompts 2 · discards in-flight 1');
  });

  it('gives a skipped case <skipped message="reason"/> and no failure', () => {
    const skipped = findAll(root, 'testcase').filter((c) => findAll(c, 'skipped').length > 0);
    const expected = result.suites.flatMap((s) => s.cases).filter((c) => c.status === 'skipped');
    expect(skipped.map((c) => findAll(c, 'skipped')[0]?.attributes.message)).toEqual(
      expected.map((c) => c.reason),
    );
    expect(skipped.every((c) => findAll(c, 'failure').length === 0)).toBe(true);
  });

  it('passes no <failure> or <skipped> for a passed case', () => {
    const passed = testcase('Status-Server is answered [status-server]');
    expect(passed.children.map((c) => c.name)).toEqual(['system-out']);
  });

  it('lists properties as testcases, a failed one with its seed, path and counterexample', () => {
    const properties = findAll(root, 'testsuite').find((s) => s.attributes.name === 'properties');
    expect(properties?.children.map((c) => c.attributes.classname)).toEqual(['properties', 'properties']);
    const failed = testcase('Accounting stored exactly once <whatever> the "loss" [accounting-once]');
    const failure = findAll(failed, 'failure')[0];
    expect(failure?.attributes.message).toBe('Interim stored twice (seed 1234, path 16:2:0)');
    expect(failure?.text).toContain(
      'replay: radmfa run properties --property accounting-once --seed 1234 --path 16:2:0',
    );
    expect(failure?.text).toContain('counterexample: [{"loss":0.5,"duplicates":[3,3]}]');
  });

  it('escapes <, &, quotes and shows control characters as visible symbols', () => {
    const hostile = testcase(
      `${HOSTILE_TITLE.replace('\u0007', '␇').replace('\u0000', '␀')} [proxy-state-echo]`,
    );
    expect(hostile.attributes.classname).toBe('protocol');
    expect(findAll(hostile, 'failure')[0]?.text).toBe(
      'steps[0].expect.proxyStateEchoed: expected true, got false & <missing>',
    );
    expect(xml).not.toContain('<script>');
    // eslint-disable-next-line no-control-regex -- the point: no raw control characters at all
    expect(xml).not.toMatch(/[\u0000-\u0008]/);
  });

  it('keeps newlines and tabs in attribute values as character references', () => {
    const multiline = sampleResult();
    const c = { ...FAILING_DEDUPE_CASE, reason: 'line one\nline\ttwo', failures: [] };
    const text = renderJunit({ ...multiline, suites: [{ ...multiline.suites[1]!, cases: [c] }] });
    expect(text).toContain('message="line one&#10;line&#9;two"');
    const parsed = parseXml(text);
    expect(findAll(parsed, 'failure')[0]?.attributes.message).toBe('line one\nline\ttwo');
  });

  it('replaces lone surrogates, which XML cannot carry, instead of writing an invalid file', () => {
    const base = sampleResult();
    const c = { ...FAILING_DEDUPE_CASE, title: 'half \ud800 a pair' };
    const text = renderJunit({ ...base, suites: [{ ...base.suites[1]!, cases: [c] }] });
    expect(() => parseXml(text)).not.toThrow();
    expect(text).toContain('half \ufffd a pair');
  });
});

describe('the XML checker the tests rely on', () => {
  it.each([
    ['a raw <', '<a>x < y</a>'],
    ['a bare &', '<a>fish & chips</a>'],
    ['crossed tags', '<a><b></a></b>'],
    ['an unquoted attribute', '<a x=1/>'],
    ['a control character', '<a>\u0007</a>'],
    ['an unclosed element', '<a><b/>'],
  ])('rejects %s', (_what, source) => {
    expect(() => parseXml(source)).toThrow();
  });
});
