import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { SystemClock, type Clock } from '../runtime/clock.ts';
import type { ServerEvents } from '../reference/events.ts';
import type { ReferenceServer, ServerStats } from '../reference/server.ts';
import type { DirectoryStats } from '../reference/directory/types.ts';
import type { PoolStats } from '../reference/directory/ldap-pool.ts';

/**
 * Turns the server's events into JSON log lines. Discarded duplicates are logged as what they are
 * (information, by design, as the NPS extension documents), not as errors. No line ever carries a
 * secret, a password or an MFA code: the events do not have them.
 */
export function attachLogging(events: ServerEvents, log: Logger, clock: Clock = new SystemClock()): void {
  // The level is fixed for the run: a line below it is never subscribed, so the per-request events
  // (access, duplicate, accounting, Status-Server) cost nothing unless asked for (pino's own level
  // check would come after the line's object had been built).
  const info = log.isLevelEnabled('info');
  events.on('listening', (e) => log.info({ event: 'listening', auth: e.auth, acct: e.acct }, 'listening'));
  if (info) {
    events.on('access', (e) => {
      const line = { event: 'access', ...e };
      if (e.outcome === 'reject')
        log.info(line, `Access-Reject ${e.userName ?? '(no User-Name)'}: ${e.reason}`);
      else
        log.info(
          line,
          `Access-${e.outcome === 'accept' ? 'Accept' : 'Challenge'} ${e.userName ?? ''}`.trim(),
        );
    });
    events.on('duplicate', (e) =>
      log.info(
        { event: 'duplicate', ...e },
        `duplicate request ${e.action === 'discard' ? 'discarded' : 'answered from cache'} (${e.reason})`,
      ),
    );
    events.on('accounting', (e) => log.info({ event: 'accounting', ...e }, 'accounting stored'));
  }
  const overloadLines = new OverloadLines(clock);
  events.on('packet-dropped', (e) => {
    if (e.reason !== 'overload' && e.reason !== 'mfa-overload') {
      log.warn({ event: 'dropped', ...e }, `packet dropped: ${e.reason}`);
      return;
    }
    const since = overloadLines.admit(e.reason);
    if (since !== undefined)
      log.warn(
        { event: 'dropped', ...e, droppedSinceLastLine: since },
        `packet dropped: ${e.reason} (${since} more since the last such line)`,
      );
  });
  if (log.isLevelEnabled('debug'))
    events.on('status-server', (e) => log.debug({ event: 'status-server', ...e }, 'Status-Server'));
  events.on('warning', (e) => log.warn({ event: 'warning', ...e }, e.message));
  events.on('error', (e) => log.error({ event: 'error', ...e }, e.message));
}

/**
 * Under overload the server drops thousands of datagrams a second; a warn line for each would cost
 * more than the work refused and bury every other line. One line per reason per second, carrying how
 * many were dropped since the previous one (the metric counts every drop).
 */
export class OverloadLines {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs = 1_000,
  ) {}

  /** How many drops of `reason` went unlogged before this one, or undefined to stay silent. */
  admit(reason: string): number | undefined {
    const now = this.clock.now();
    const entry = this.last.get(reason);
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return undefined;
    }
    this.last.set(reason, { at: now, suppressed: 0 });
    return entry?.suppressed ?? 0;
  }
}

export interface ServerMetrics {
  readonly registry: Registry;
}

/** Prometheus metrics (prom-client) fed by the same events. */
export function attachMetrics(
  events: ServerEvents,
  server: () => ReferenceServer | undefined,
  directory: () => DirectoryStats | undefined = () => undefined,
): ServerMetrics {
  const registry = new Registry();
  attachPoolMetrics(registry, directory);
  collectDefaultMetrics({ register: registry, prefix: 'radmfa_process_' });
  const dropped = new TalliedCounter({
    name: 'radmfa_packets_dropped_total',
    help: 'Datagrams dropped, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const duplicates = new TalliedCounter({
    name: 'radmfa_duplicates_total',
    help: 'Duplicate requests discarded or answered from the cache',
    labelNames: ['action', 'reason'],
    registers: [registry],
  });
  const access = new TalliedCounter({
    name: 'radmfa_access_total',
    help: 'Access-Request outcomes',
    labelNames: ['outcome', 'method', 'reason'],
    registers: [registry],
  });
  const duration = new TalliedHistogram({
    name: 'radmfa_access_duration_seconds',
    help: 'Time from Access-Request to answer, MFA included',
    labelName: 'outcome',
    buckets: [0.005, 0.02, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 90, 120],
    registry,
  });
  const accounting = new TalliedCounter({
    name: 'radmfa_accounting_total',
    help: 'Accounting requests',
    labelNames: ['result'],
    registers: [registry],
  });
  const statusServer = new TalliedCounter({
    name: 'radmfa_status_server_total',
    help: 'Status-Server requests answered',
    labelNames: [],
    registers: [registry],
  });
  new Gauge({
    name: 'radmfa_requests_in_flight',
    help: 'Requests being processed (waiting for directory or MFA)',
    registers: [registry],
    collect() {
      this.set(server()?.stats().inFlight ?? 0);
    },
  });
  // What the server holds, read when scraped: a soak watches these for growth (bench/soak.ts).
  const held = (name: string, help: string, read: (s: ServerStats) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const stats = server()?.stats();
        this.set(stats === undefined ? 0 : read(stats));
      },
    });
  };
  held(
    'radmfa_duplicate_cache_entries',
    'Duplicate-cache entries (in flight and answered)',
    (s) => s.held.duplicateEntries,
  );
  held(
    'radmfa_challenge_states',
    'Open conversations keyed by State (MFA code prompts, EAP)',
    (s) => s.held.challengeStates,
  );
  held('radmfa_mfa_pending', 'Logins waiting on the MFA service', (s) => s.admission.pendingMfa);
  events.on('packet-dropped', (e) => dropped.add(e.reason));
  events.on('duplicate', (e) => duplicates.add(e.action, e.reason));
  events.on('access', (e) => {
    // Reasons are a closed list (ACCESS_REASONS), so the label's cardinality is bounded.
    access.add(e.outcome, e.method ?? 'unknown', e.reason);
    duration.observe(e.outcome, e.durationMs / 1000);
  });
  events.on('accounting', (e) => accounting.add(e.duplicate ? 'duplicate' : 'stored'));
  events.on('status-server', () => statusServer.add());
  return { registry };
}

/** How often one combination of label values was counted, and how much of it prom-client has. */
interface Tally {
  readonly labels: Readonly<Record<string, string>>;
  count: number;
  reported: number;
}

/** One level of label values: the next label's levels below it, or at the last label the tallies. */
interface TallyLevel {
  readonly below: Map<string, TallyLevel>;
  readonly tallies: Map<string, Tally>;
}

const newLevel = (): TallyLevel => ({ below: new Map(), tallies: new Map() });

/**
 * A prom-client Counter counted per request in plain numbers and brought up to date when scraped
 * (its collect()). Counter.inc() builds a label string and two objects per call, a tenth of what
 * the server allocated per request; here a count is a Map lookup per label and an increment.
 */
export class TalliedCounter {
  readonly counter: Counter;
  private readonly labelNames: readonly string[];
  private readonly root = newLevel();
  private readonly tallies: Tally[] = [];

  constructor(config: {
    readonly name: string;
    readonly help: string;
    /** At most three. */
    readonly labelNames: readonly string[];
    readonly registers: Registry[];
  }) {
    if (config.labelNames.length > 3) throw new Error(`${config.name}: at most three labels`);
    this.labelNames = config.labelNames;
    const tallies = this.tallies;
    this.counter = new Counter({
      ...config,
      collect() {
        for (const tally of tallies) {
          if (tally.count === tally.reported) continue;
          this.inc(tally.labels, tally.count - tally.reported);
          tally.reported = tally.count;
        }
      },
    });
  }

  /** One more for these label values, given in labelNames order. */
  add(first = '', second = '', third = ''): void {
    const depth = this.labelNames.length;
    let level = this.root;
    if (depth >= 2) level = below(level, first);
    if (depth >= 3) level = below(level, second);
    const key = depth <= 1 ? first : depth === 2 ? second : third;
    const tally = level.tallies.get(key) ?? this.newTally(level, key, [first, second, third]);
    tally.count++;
  }

  private newTally(level: TallyLevel, key: string, values: readonly string[]): Tally {
    const labels: Record<string, string> = {};
    this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
    const tally: Tally = { labels, count: 0, reported: 0 };
    level.tallies.set(key, tally);
    this.tallies.push(tally);
    return tally;
  }
}

function below(level: TallyLevel, value: string): TallyLevel {
  let next = level.below.get(value);
  if (next === undefined) {
    next = newLevel();
    level.below.set(value, next);
  }
  return next;
}

/** One printed line of a histogram, as prom-client's get() gives it. */
interface HistogramSample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly exemplar?: null;
}

interface HistogramSeries {
  /** Per bucket, the observations it is the first to hold (made cumulative when scraped). */
  readonly counts: number[];
  sum: number;
  count: number;
}

/**
 * A one-label histogram printed exactly as prom-client's Histogram prints it (buckets, +Inf, _sum,
 * _count; summed across workers), counted per request in plain numbers: Histogram.observe() built
 * a label string, a closure and an object per call.
 */
export class TalliedHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelName: string;
  private readonly buckets: readonly number[];
  private readonly series = new Map<string, HistogramSeries>();

  constructor(config: {
    readonly name: string;
    readonly help: string;
    readonly labelName: string;
    /** Upper bounds, ascending. */
    readonly buckets: readonly number[];
    readonly registry: Registry;
  }) {
    this.name = config.name;
    this.help = config.help;
    this.labelName = config.labelName;
    this.buckets = config.buckets;
    // The registry only calls get() and reset(), which this provides.
    config.registry.registerMetric(this as unknown as Metric);
  }

  observe(labelValue: string, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    let series = this.series.get(labelValue);
    if (series === undefined) {
      series = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(labelValue, series);
    }
    // The first bucket that holds it (le is inclusive); past the last, only +Inf does.
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= (this.buckets[i] as number)) {
        series.counts[i] = (series.counts[i] as number) + 1;
        break;
      }
    }
    series.sum += value;
    series.count++;
  }

  get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: HistogramSample[];
    aggregator: 'sum';
  }> {
    const values: HistogramSample[] = [];
    for (const [labelValue, series] of this.series) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push(this.sample('_bucket', cumulative, labelValue, bound));
      });
      values.push(this.sample('_bucket', series.count, labelValue, '+Inf'));
      values.push(this.sample('_sum', series.sum, labelValue));
      values.push(this.sample('_count', series.count, labelValue));
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    });
  }

  reset(): void {
    this.series.clear();
  }

  private sample(suffix: string, value: number, labelValue: string, le?: number | string): HistogramSample {
    // `le` first, as prom-client prints it.
    const labels: Record<string, string | number> = le === undefined ? {} : { le };
    labels[this.labelName] = labelValue;
    const metricName = `${this.name}${suffix}`;
    // Buckets carry an empty exemplar slot in prom-client's JSON (what cluster workers send).
    return le === undefined ? { metricName, labels, value } : { metricName, labels, value, exemplar: null };
  }
}

/** The LDAP pool, read when scraped (the pool keeps its own totals; nothing per request here). */
function attachPoolMetrics(registry: Registry, directory: () => DirectoryStats | undefined): void {
  const gauge = (name: string, help: string, read: (s: DirectoryStats) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const stats = directory();
        if (stats !== undefined) this.set(read(stats));
      },
    });
  };
  // Counters from totals the pool keeps: each scrape adds what grew since the last one.
  const total = (name: string, help: string, key: keyof PoolStats, scale = 1): void => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = directory()?.bind[key];
        if (now === undefined) return;
        if (now > seen) this.inc((now - seen) * scale);
        seen = now;
      },
    });
  };
  gauge('radmfa_ldap_bind_connections', 'LDAP bind connections open (idle + busy)', (s) => s.bind.open);
  gauge('radmfa_ldap_bind_connections_busy', 'LDAP bind connections lent to a bind', (s) => s.bind.busy);
  gauge('radmfa_ldap_bind_connections_max', 'directory.pool.maxBindConnections', (s) => s.bind.max);
  gauge('radmfa_ldap_bind_waiting', 'Binds waiting for a free LDAP connection', (s) => s.bind.waiting);
  gauge(
    'radmfa_ldap_search_connections',
    'LDAP service connections open for searches',
    (s) => s.search.connections,
  );
  total('radmfa_ldap_bind_acquired_total', 'Bind connections handed out', 'acquired');
  total('radmfa_ldap_bind_waited_total', 'Binds that waited for a connection', 'waited');
  total(
    'radmfa_ldap_bind_wait_seconds_total',
    'Time binds spent waiting for a connection',
    'waitMsTotal',
    1 / 1000,
  );
  total('radmfa_ldap_bind_timeouts_total', 'Binds that found no connection in time', 'timedOut');
  total('radmfa_ldap_bind_rejected_total', 'Binds refused because the wait queue was full', 'rejected');
  total('radmfa_ldap_connections_created_total', 'LDAP bind connections opened', 'created');
  total('radmfa_ldap_connections_discarded_total', 'LDAP bind connections closed as broken', 'discarded');
}

/** What /health answers: 200 when ready, 503 when not, and a JSON body either way. */
export interface HealthAnswer {
  readonly ready: boolean;
  readonly body: Readonly<Record<string, unknown>>;
}

/** The admin port: /metrics for Prometheus, /health (readiness) for load balancers and tests. */
export function startAdminServer(
  host: string,
  port: number,
  // A worker's own registry, or the cluster primary's sum over the workers (AggregatorRegistry).
  metrics: { readonly registry: { metrics(): Promise<string>; readonly contentType: string } },
  health: () => Promise<HealthAnswer>,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        (error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        },
      );
      return;
    }
    if (path === '/health') {
      health().then(
        (answer) => {
          res.writeHead(answer.ready ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify(answer.body));
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'fail', ready: false, error: String(error) }));
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('radmfa admin: try /metrics or /health\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
