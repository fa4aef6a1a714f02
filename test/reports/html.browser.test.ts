// Opens index.html in real headless Chromium (Debian's, driven by playwright-core): the page must load
// without console or page errors, show its sections, colour the matrix and draw a failing case's
// timeline. junit.xml is parsed by the same browser's XML parser.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports, type ReportFiles } from '../../reports/index.ts';
import { visibleText } from '../../reports/text.ts';
import { HOSTILE_TITLE, sampleResult } from './sample-result.ts';
import { MissingBrowserError, requireChromium } from './chromium.ts';

const browserAvailable = requireChromium();

describe('requireChromium', () => {
  it('skips with a notice on a developer machine and fails under CI', () => {
    const notices: string[] = [];
    expect(requireChromium('/nonexistent/chromium', {}, (m) => notices.push(m)).available).toBe(false);
    expect(notices[0]).toContain('apt-get install -y chromium');
    expect(() => requireChromium('/nonexistent/chromium', { CI: 'true' })).toThrow(MissingBrowserError);
    expect(() => requireChromium('/nonexistent/chromium', { CI: '1' })).toThrow(MissingBrowserError);
  });
});

describe.skipIf(!browserAvailable.available)('index.html in headless Chromium', () => {
  let dir: string;
  let files: ReportFiles;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'radmfa-html-'));
    files = await writeReports(sampleResult(), dir);
    browser = await chromium.launch({
      executablePath: browserAvailable.path,
      args: [...browserAvailable.args],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(files.html).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('loads without console errors, page errors or dialogs, and requests nothing but itself', () => {
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(files.html).href]);
  });

  it('shows the sections with their headings', async () => {
    for (const [id, heading] of [
      ['overview', 'Suites'],
      ['suite-protocol', 'protocol'],
      ['suite-dedupe', 'dedupe'],
      ['matrix-nas-timeouts', 'Matrix: nas-timeouts'],
      ['failing', 'Failing cases'],
      ['latency', 'Latency'],
      ['properties', 'Properties'],
    ] as const) {
      const section = page.locator(`section#${id}`);
      await expect.poll(() => section.isVisible(), { timeout: 5_000 }).toBe(true);
      expect(await section.locator('h2').first().innerText()).toContain(heading);
    }
    expect(await page.locator('h1').innerText()).toBe('radmfa conformance report');
  });

  it('renders a hostile title as text, not markup', async () => {
    expect(await page.locator('script').count()).toBe(0);
    const title = await page.locator('#case-protocol-proxy-state-echo .case-title').innerText();
    expect(title).toBe(visibleText(HOSTILE_TITLE));
  });

  it('colours the matrix: passed green, failed red, skipped grey, with a tooltip per cell', async () => {
    // Browser-side code goes as a string: the project's TypeScript has no DOM library, on purpose.
    const colours = await page.evaluate<Record<'passed' | 'failed' | 'skipped', number[][]>>(`(() => {
      const rgb = (selector) =>
        [...document.querySelectorAll('#matrix-nas-timeouts ' + selector)].map((cell) =>
          (getComputedStyle(cell).backgroundColor.match(/\\d+/g) ?? []).slice(0, 3).map(Number),
        );
      return { passed: rgb('td.cell-passed'), failed: rgb('td.cell-failed'), skipped: rgb('td.cell-skipped') };
    })()`);
    expect(colours.passed).toHaveLength(13);
    for (const [r, g, b] of colours.passed) expect(g! > r! + 40 && g! > b! + 40).toBe(true);
    expect(colours.failed).toHaveLength(1);
    for (const [r, g, b] of colours.failed) expect(r! > g! + 40 && r! > b! + 40).toBe(true);
    expect(colours.skipped).toHaveLength(1);
    for (const [r, g, b] of colours.skipped)
      expect(Math.max(r!, g!, b!) - Math.min(r!, g!, b!)).toBeLessThan(20);
    const failed = page.locator('#matrix-nas-timeouts td.cell-failed');
    expect(await failed.getAttribute('title')).toBe(
      'seed-60s with MFA answered after 30 s — steps[0].expect.outcome: expected accept, got timeout',
    );
    expect(await failed.innerText()).toBe('✗ timeout');
  });

  it("draws a failing case's timeline: lifelines, arrows with arrowheads and labels, on screen", async () => {
    interface Drawn {
      width: number;
      height: number;
      lifelines: number;
      arrows: number;
      withHeads: number;
      drawnLength: boolean;
      labels: string[];
      retransmitStroke: string[];
      actors: string[];
    }
    const drawn = await page.evaluate<Drawn>(`(() => {
      const element = document.querySelector('#timeline-dedupe-retransmit-while-pending svg.timeline');
      const box = element.getBoundingClientRect();
      const arrows = [...element.querySelectorAll('g.event line, g.event path')];
      return {
        width: box.width,
        height: box.height,
        lifelines: element.querySelectorAll('line.lifeline').length,
        arrows: arrows.length,
        withHeads: arrows.filter((a) => (a.getAttribute('marker-end') ?? '').startsWith('url(#')).length,
        drawnLength: arrows.every((a) => a.getTotalLength() > 10),
        labels: [...element.querySelectorAll('g.event text.label')].map((t) => t.textContent),
        retransmitStroke: [...element.querySelectorAll('g.tone-retransmit line')].map((l) => getComputedStyle(l).stroke),
        actors: [...element.querySelectorAll('g.actor text')].map((t) => t.textContent),
      };
    })()`);
    expect(drawn.width).toBeGreaterThan(500);
    expect(drawn.height).toBeGreaterThan(300);
    expect(drawn.actors).toEqual(['User', 'NAS', 'RADIUS server', 'Directory (LDAP)', 'MFA service']);
    expect(drawn.lifelines).toBe(5);
    expect(drawn.arrows).toBe(14);
    expect(drawn.withHeads).toBe(14);
    expect(drawn.drawnLength).toBe(true);
    expect(drawn.labels).toContain('discard (in-flight)');
    expect(drawn.labels).toContain('Access-Accept id=7');
    expect(drawn.retransmitStroke).toEqual(['rgb(217, 119, 6)', 'rgb(217, 119, 6)']);
  });

  it('draws a latency histogram per suite', async () => {
    expect(await page.locator('#latency svg.histogram').count()).toBe(4);
    expect(await page.locator('#latency-nas-timeouts .bar rect').count()).toBeGreaterThan(2);
  });

  it('links a failed matrix cell to its timeline', async () => {
    await page.locator('#matrix-nas-timeouts td.cell-failed a').click();
    expect(new URL(page.url()).hash).toBe('#timeline-nas-timeouts-seed-60s-30s');
    expect(await page.locator('#timeline-nas-timeouts-seed-60s-30s svg.timeline').isVisible()).toBe(true);
  });

  it('junit.xml parses in the browser as well-formed XML with one testcase per case', async () => {
    const xml = await readFile(files.junit, 'utf8');
    const parsed = await page.evaluate<{ errors: number; testcases: number; names: string[] }>(`((text) => {
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      return {
        errors: doc.getElementsByTagName('parsererror').length,
        testcases: doc.getElementsByTagName('testcase').length,
        names: [...doc.getElementsByTagName('testcase')].map((c) => c.getAttribute('name')),
      };
    })(${JSON.stringify(xml)})`);
    expect(parsed.errors).toBe(0);
    expect(parsed.testcases).toBe(24 + 2);
    expect(parsed.names).toContain(`${visibleText(HOSTILE_TITLE)} [proxy-state-echo]`);
  });
});
