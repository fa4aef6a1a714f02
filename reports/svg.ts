// Inline SVG for index.html: a case's packet timeline as a sequence diagram, and a latency histogram.
// Plain strings, no library: the page must be one self-contained file, and every piece of text
// goes through escapeHtml (SVG inside HTML is parsed by the HTML parser).
import type { Actor, TimelineEvent } from '../scenarios/result.ts';
import { escapeHtml as esc, formatAt, formatDuration } from './text.ts';

export type Tone = NonNullable<TimelineEvent['tone']>;
export const TONES: readonly Tone[] = ['normal', 'retransmit', 'discard', 'timeout', 'error'];

/** Stroke colours per tone; the legend and the CSS use the same table. */
export const TONE_COLOUR: Readonly<Record<Tone, string>> = {
  normal: '#334155',
  retransmit: '#d97706',
  discard: '#7c3aed',
  timeout: '#0891b2',
  error: '#dc2626',
};

export const TONE_MEANING: Readonly<Record<Tone, string>> = {
  normal: 'message',
  retransmit: 'retransmission',
  discard: 'discard',
  timeout: 'timeout',
  error: 'error',
};

/** Left to right as a login travels: the user at the NAS, the server, then what the server asks. */
const ACTOR_ORDER: readonly Actor[] = ['user', 'nas', 'server', 'directory', 'mfa'];

const ACTOR_NAME: Readonly<Record<Actor, string>> = {
  user: 'User',
  nas: 'NAS',
  server: 'RADIUS server',
  directory: 'Directory (LDAP)',
  mfa: 'MFA service',
};

const LANE = 196;
const GUTTER = 78;
const HEAD = 44;
const ROW = 34;
const LOOP = 26;

const round = (n: number): string => String(Math.round(n * 10) / 10);

/** Long labels are cut to the lane's width; the full text stays in the arrow's <title>. */
function fit(label: string, maxChars: number): string {
  const chars = [...label];
  return chars.length <= maxChars ? label : `${chars.slice(0, maxChars - 1).join('')}…`;
}

function markers(prefix: string): string {
  const defs = TONES.map(
    (tone) =>
      `<marker id="${prefix}-${tone}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" ` +
      `orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${TONE_COLOUR[tone]}"/></marker>`,
  );
  return `<defs>${defs.join('')}</defs>`;
}

function arrow(event: TimelineEvent, y: number, x: (actor: Actor) => number, prefix: string): string {
  const tone = event.tone ?? 'normal';
  const colour = TONE_COLOUR[tone];
  const dash = tone === 'retransmit' || tone === 'timeout' ? ' stroke-dasharray="6 4"' : '';
  const title = `<title>${esc(`${formatAt(event.atMs)} ${ACTOR_NAME[event.from]} → ${ACTOR_NAME[event.to]}: ${event.label}`)}</title>`;
  const from = x(event.from);
  const to = x(event.to);
  const marker = `marker-end="url(#${prefix}-${tone})"`;
  if (from === to) {
    // A message to itself (a discard, a timer firing) is a small loop with the label beside it.
    const path = `M${from},${y - 8} h${LOOP} v14 h-${LOOP - 2}`;
    return (
      `<g class="event tone-${tone}">${title}` +
      `<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"${dash} ${marker}/>` +
      `<text class="label" x="${from + LOOP + 6}" y="${y + 3}" fill="${colour}">${esc(fit(event.label, 30))}</text></g>`
    );
  }
  const direction = to > from ? 1 : -1;
  const span = Math.abs(to - from);
  return (
    `<g class="event tone-${tone}">${title}` +
    `<line x1="${from + direction * 3}" y1="${y}" x2="${to - direction * 4}" y2="${y}" stroke="${colour}" ` +
    `stroke-width="2"${dash} ${marker}/>` +
    `<text class="label" x="${round((from + to) / 2)}" y="${y - 6}" text-anchor="middle" fill="${colour}">` +
    `${esc(fit(event.label, Math.floor((span + 64) / 6.4)))}</text></g>`
  );
}

/**
 * The packet timeline of one case as a sequence diagram: a lifeline per actor that appears, one
 * arrow per event, top to bottom in time order, the time of each event in the left margin.
 */
export function timelineSvg(events: readonly TimelineEvent[], prefix: string, caption: string): string {
  const ordered = [...events].sort((a, b) => a.atMs - b.atMs);
  const seen = new Set<Actor>(['nas', 'server', ...ordered.flatMap((e) => [e.from, e.to])]);
  const actors = ACTOR_ORDER.filter((actor) => seen.has(actor));
  const x = (actor: Actor): number => GUTTER + LANE / 2 + actors.indexOf(actor) * LANE;
  const width = GUTTER + LANE * actors.length + 12;
  const height = HEAD + 22 + ordered.length * ROW + 8;
  const heads = actors.map((actor) => {
    const cx = x(actor);
    return (
      `<g class="actor"><rect x="${cx - 66}" y="6" width="132" height="28" rx="6"/>` +
      `<text x="${cx}" y="25" text-anchor="middle">${esc(ACTOR_NAME[actor])}</text>` +
      `<line class="lifeline" x1="${cx}" y1="34" x2="${cx}" y2="${height - 4}"/></g>`
    );
  });
  const rows = ordered.map((event, i) => {
    const y = HEAD + 26 + i * ROW;
    const previous = ordered[i - 1];
    // A long wait (a NAS timeout, a user reading a push) is marked so the rows' even spacing does not hide it.
    const gap =
      previous !== undefined && event.atMs - previous.atMs >= 1000
        ? `<text class="gap" x="${GUTTER - 8}" y="${y - ROW / 2 + 4}" text-anchor="end">⋮ +${esc(formatDuration(event.atMs - previous.atMs))}</text>`
        : '';
    return (
      `${gap}<text class="time" x="${GUTTER - 8}" y="${y + 4}" text-anchor="end">${esc(formatAt(event.atMs).slice(2))}</text>` +
      arrow(event, y, x, prefix)
    );
  });
  return (
    `<svg class="timeline" role="img" aria-labelledby="${prefix}-title" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${prefix}-title">${esc(caption)}</title>${markers(prefix)}${heads.join('')}${rows.join('')}</svg>`
  );
}

/** Bin edges in ms, 1-2-5 per decade: step durations run from a millisecond to minutes. */
const EDGES: readonly number[] = [
  0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000,
  500_000,
];

function edgeLabel(ms: number): string {
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}

export interface Bin {
  readonly from: number;
  /** Exclusive; Infinity for the last bin. */
  readonly to: number;
  readonly count: number;
}

/** Counts durations into 1-2-5 bins, trimmed to the bins between the first and last non-empty one. */
export function histogramBins(durations: readonly number[]): Bin[] {
  const bins: Bin[] = EDGES.map((from, i) => ({
    from,
    to: EDGES[i + 1] ?? Number.POSITIVE_INFINITY,
    count: durations.filter((d) => d >= from && d < (EDGES[i + 1] ?? Number.POSITIVE_INFINITY)).length,
  }));
  const first = bins.findIndex((bin) => bin.count > 0);
  const last = bins.length - 1 - [...bins].reverse().findIndex((bin) => bin.count > 0);
  return first === -1 ? [] : bins.slice(first, last + 1);
}

function binLabel(bin: Bin): string {
  return bin.to === Number.POSITIVE_INFINITY
    ? `≥ ${edgeLabel(bin.from)}`
    : `${edgeLabel(bin.from)}–${edgeLabel(bin.to)}`;
}

/** A bar per bin, count on top, range below; an empty list draws a short note instead. */
export function histogramSvg(durations: readonly number[], caption: string): string {
  const bins = histogramBins(durations);
  if (bins.length === 0) return `<p class="muted">No timed steps.</p>`;
  const barWidth = 44;
  const plotHeight = 120;
  const left = 34;
  const top = 18;
  // Wide enough for the axis label even with a single bin.
  const width = Math.max(250, left + bins.length * barWidth + 10);
  const height = top + plotHeight + 40;
  const max = Math.max(...bins.map((bin) => bin.count));
  const ticks = [0, Math.ceil(max / 2), max].filter((v, i, all) => all.indexOf(v) === i);
  const axis = ticks.map((tick) => {
    const y = top + plotHeight - (tick / max) * plotHeight;
    return (
      `<line class="grid" x1="${left}" y1="${round(y)}" x2="${width - 6}" y2="${round(y)}"/>` +
      `<text class="tick" x="${left - 6}" y="${round(y + 4)}" text-anchor="end">${tick}</text>`
    );
  });
  const bars = bins.map((bin, i) => {
    const h = (bin.count / max) * plotHeight;
    const x = left + i * barWidth + 5;
    const y = top + plotHeight - h;
    const steps = `${bin.count} step${bin.count === 1 ? '' : 's'}`;
    return (
      `<g class="bar"><title>${esc(`${binLabel(bin)}: ${steps}`)}</title>` +
      `<rect x="${x}" y="${round(y)}" width="${barWidth - 10}" height="${round(h)}" rx="3"/>` +
      (bin.count > 0
        ? `<text class="count" x="${x + (barWidth - 10) / 2}" y="${round(y - 4)}" text-anchor="middle">${bin.count}</text>`
        : '') +
      `<text class="tick" x="${x + (barWidth - 10) / 2}" y="${top + plotHeight + 14}" text-anchor="middle">${esc(edgeLabel(bin.from))}</text></g>`
    );
  });
  return (
    `<svg class="histogram" role="img" aria-label="${esc(caption)}" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${axis.join('')}${bars.join('')}` +
    `<text class="axis-label" x="${left}" y="${height - 6}">step duration (lower bin edge) →</text></svg>`
  );
}

export interface LineSeries {
  readonly name: string;
  readonly colour: string;
  /** One value per x step (per second of a load run). */
  readonly values: readonly number[];
  readonly dashed?: boolean;
}

/** Lines over time (a load run's throughput or latency per second), with a legend; no library. */
export function lineChartSvg(lines: readonly LineSeries[], caption: string, unit: string): string {
  const length = Math.max(0, ...lines.map((l) => l.values.length));
  if (length === 0) return `<p class="muted">No data.</p>`;
  const width = 720;
  const plotHeight = 200;
  const left = 56;
  const top = 14;
  const right = 12;
  const height = top + plotHeight + 52;
  const max = Math.max(1, ...lines.flatMap((l) => l.values));
  const x = (i: number): number => left + (length === 1 ? 0 : (i / (length - 1)) * (width - left - right));
  const y = (v: number): number => top + plotHeight - (v / max) * plotHeight;
  const ticks = [0, max / 2, max].map((tick) => {
    const label = tick >= 100 ? String(Math.round(tick)) : String(Math.round(tick * 10) / 10);
    return (
      `<line class="grid" x1="${left}" y1="${round(y(tick))}" x2="${width - right}" y2="${round(y(tick))}"/>` +
      `<text class="tick" x="${left - 6}" y="${round(y(tick) + 4)}" text-anchor="end">${esc(label)}</text>`
    );
  });
  const paths = lines.map((line) => {
    const d = line.values.map((v, i) => `${i === 0 ? 'M' : 'L'}${round(x(i))},${round(y(v))}`).join(' ');
    return (
      `<path d="${d}" fill="none" stroke="${line.colour}" stroke-width="2"${line.dashed === true ? ' stroke-dasharray="5 4"' : ''}>` +
      `<title>${esc(line.name)}</title></path>`
    );
  });
  const legend = lines.map(
    (line, i) =>
      `<g transform="translate(${left + i * 130},${height - 14})"><rect width="12" height="4" y="-4" fill="${line.colour}"/>` +
      `<text class="tick" x="16" y="0">${esc(line.name)}</text></g>`,
  );
  return (
    `<svg class="linechart" role="img" aria-label="${esc(caption)}" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${ticks.join('')}${paths.join('')}` +
    `<text class="tick" x="${left}" y="${top + plotHeight + 16}">0 s</text>` +
    `<text class="tick" x="${width - right}" y="${top + plotHeight + 16}" text-anchor="end">${length - 1} s</text>` +
    `<text class="axis-label" x="${left}" y="${top - 2}">${esc(unit)}</text>${legend.join('')}</svg>`
  );
}
