// The cloud MFA mock over HTTP under autocannon: it stands in for the MFA service in every load test,
// so it must never be what limits a run. Each MFA login costs the reference server one begin and at
// least one poll (a token only once an hour), so the figure that matters is how many begin + poll
// pairs per second the mock serves, next to how many logins per second the server can carry.
// The mock is served by its direct router (simulators/mfa/router.ts); `--via both` (the default)
// also serves the same routes through msw's getResponse, the path the router replaced, on a second
// listener in the same process, endpoint by endpoint in alternating order, so before/after come
// from one run on the same machine state.
//
//   npx tsx bench/mfa-mock.ts [--duration 5] [--connections 32] [--pipelining 1] [--via both|router|msw]
import autocannon from 'autocannon';
import { tokenPath, type BeginResponse } from '../protocol/mfa-api.ts';
import { SystemClock } from '../runtime/clock.ts';
import { createNpsCertificate } from '../runtime/certificates.ts';
import { clientCertificateFromPem } from '../reference/mfa/client-certificates.ts';
import { CertificateCredential } from '../reference/mfa/client-credential.ts';
import { demoTenantFixture } from '../scenarios/embedded/defaults.ts';
import {
  createMfaMock,
  keyCredentialFromPem,
  loadTenantFile,
  serveMfaMock,
  withKeyCredentials,
  type MfaMock,
} from '../simulators/mfa/index.ts';
import type { ChoiceParam, IntegerParam } from './params.ts';
import { formatRatio, ratio } from './report.ts';
import { isMainModule, outParam, runAsScript, type BenchDefinition } from './script.ts';

export const mfaMockParams = {
  duration: {
    type: 'integer',
    default: 5,
    min: 1,
    max: 120,
    description: 'seconds of load per endpoint',
  } satisfies IntegerParam,
  connections: {
    type: 'integer',
    default: 32,
    min: 1,
    max: 1024,
    description: 'concurrent HTTP connections (the server keeps one pool of keep-alive connections)',
  } satisfies IntegerParam,
  pipelining: {
    type: 'integer',
    default: 1,
    min: 1,
    max: 16,
    description: 'requests in flight per connection (1: what fetch does)',
  } satisfies IntegerParam,
  via: {
    type: 'choice',
    default: 'both',
    choices: ['both', 'router', 'msw'],
    description:
      'what serves the mock: the direct router, msw getResponse (the path it replaced), or both alternating',
  } satisfies ChoiceParam<'both' | 'router' | 'msw'>,
  out: outParam,
} as const;

type Via = 'router' | 'msw';
type EndpointName = 'health' | 'begin' | 'poll';
const ENDPOINTS: readonly EndpointName[] = ['health', 'begin', 'poll'];

/** One endpoint's figures under load. */
export interface EndpointResult {
  readonly endpoint: EndpointName;
  readonly requests: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  /** Answers outside 2xx: a refused call is not a served one. */
  readonly non2xx: number;
}

/** One transport's figures. */
export interface TransportResult {
  readonly via: Via;
  readonly endpoints: readonly EndpointResult[];
  /** begin + poll pairs per second: 1 / (1/begin + 1/poll). */
  readonly loginsPerSecond: number;
}

export interface MfaMockResults {
  /** What `endpoints` measured: the router unless only msw was asked for. */
  readonly via: Via;
  readonly endpoints: readonly EndpointResult[];
  /** begin + poll pairs per second: 1 / (1/begin + 1/poll). */
  readonly loginsPerSecond: number;
  /** With --via both: the same endpoints served through msw's getResponse, in the same run. */
  readonly msw?: TransportResult;
  /** With --via both: router req/s over msw req/s, per endpoint and for begin + poll pairs. */
  readonly speedup?: Readonly<Record<EndpointName | 'logins', number | null>>;
  readonly notes: readonly string[];
}

interface Target {
  /** Base URL by transport: each has its own listener over the same mock. */
  readonly urls: Readonly<Record<Via, string>>;
  readonly mock: MfaMock;
  readonly token: string;
  readonly sessionId: string;
  close(): Promise<void>;
}

/** The demo tenant with a fresh certificate registered, served on loopback, with a token and a session. */
async function startTarget(): Promise<Target> {
  const clock = new SystemClock();
  const loaded = await loadTenantFile(demoTenantFixture);
  const made = await createNpsCertificate(loaded.id, clock.now(), { keyType: 'ec-p256' });
  const tenant = withKeyCredentials(loaded, [keyCredentialFromPem(made.certificatePem)]);
  // The call history is what tests read; a bench keeps only a little of it so memory stays flat.
  const mock = createMfaMock({ tenant, clock, historyLimit: 1_000 });
  const http = await serveMfaMock(mock, { host: '127.0.0.1', port: 0 });
  const viaMsw = await serveMfaMock(mock, { host: '127.0.0.1', port: 0, via: 'msw' });
  const credential = new CertificateCredential({
    certificates: [clientCertificateFromPem(made.certificatePem, made.privateKeyPem, 'bench')],
    tenantId: tenant.id,
    clock,
  });
  const tokenUrl = new URL(tokenPath(tenant.id), http.url).href;
  const request = credential.signedRequest(tokenUrl);
  if ('error' in request) throw new Error(`no client assertion: ${request.error}`);
  const issued = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  if (!issued.ok) throw new Error(`token refused: HTTP ${issued.status} ${await issued.text()}`);
  const { accessToken } = (await issued.json()) as { accessToken: string };
  const begun = await fetch(`${http.url}/mfa/v1/authentications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ user: 'alice@radmfa.test', method: 'default' }),
  });
  if (begun.status !== 201) throw new Error(`begin refused: HTTP ${begun.status}`);
  const { sessionId } = (await begun.json()) as BeginResponse;
  return {
    urls: { router: http.url, msw: viaMsw.url },
    mock,
    token: accessToken,
    sessionId,
    close: async () => {
      credential.close();
      await http.close();
      await viaMsw.close();
      mock.dispose();
    },
  };
}

function requestFor(endpoint: EndpointName, target: Target): autocannon.Request {
  const auth = { authorization: `Bearer ${target.token}` };
  switch (endpoint) {
    case 'health':
      return { method: 'GET', path: '/_admin/health' };
    case 'begin':
      return {
        method: 'POST',
        path: '/mfa/v1/authentications',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'alice@radmfa.test', method: 'default' }),
      };
    case 'poll':
      // wait=0: the mock answers at once, so the figure is the mock's cost, not the user's delay.
      return { method: 'GET', path: `/mfa/v1/authentications/${target.sessionId}?wait=0`, headers: auth };
  }
}

interface LoadParams {
  readonly duration: number;
  readonly connections: number;
  readonly pipelining: number;
}

async function measure(
  endpoint: EndpointName,
  target: Target,
  via: Via,
  params: LoadParams,
): Promise<EndpointResult> {
  const result = await autocannon({
    url: target.urls[via],
    duration: params.duration,
    connections: params.connections,
    pipelining: params.pipelining,
    requests: [requestFor(endpoint, target)],
  });
  return {
    endpoint,
    requests: result.requests.total,
    perSecond: Math.round(result.requests.total / params.duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

function transportResult(via: Via, endpoints: readonly EndpointResult[]): TransportResult {
  const rate = (name: EndpointName): number => endpoints.find((e) => e.endpoint === name)?.perSecond ?? 0;
  const begin = rate('begin');
  const poll = rate('poll');
  const loginsPerSecond = begin > 0 && poll > 0 ? Math.round(1 / (1 / begin + 1 / poll)) : 0;
  return { via, endpoints, loginsPerSecond };
}

function speedupOf(router: TransportResult, msw: TransportResult): MfaMockResults['speedup'] {
  const rate = (t: TransportResult, name: EndpointName): number =>
    t.endpoints.find((e) => e.endpoint === name)?.perSecond ?? Number.NaN;
  return {
    health: ratio(rate(router, 'health'), rate(msw, 'health')),
    begin: ratio(rate(router, 'begin'), rate(msw, 'begin')),
    poll: ratio(rate(router, 'poll'), rate(msw, 'poll')),
    logins: ratio(router.loginsPerSecond, msw.loginsPerSecond),
  };
}

export async function runMfaMockBench(params: LoadParams & { via: 'both' | Via }): Promise<MfaMockResults> {
  const target = await startTarget();
  const transports: readonly Via[] = params.via === 'both' ? ['router', 'msw'] : [params.via];
  try {
    // One unrecorded second per transport first, so neither pays the JIT's warm-up in its figures.
    for (const via of transports) await measure('health', target, via, { ...params, duration: 1 });
    const measured: Record<Via, EndpointResult[]> = { router: [], msw: [] };
    for (const [index, endpoint] of ENDPOINTS.entries()) {
      // Alternate who goes first: the machine's load drifts during a run.
      const order = index % 2 === 0 ? transports : [...transports].reverse();
      for (const via of order) measured[via].push(await measure(endpoint, target, via, params));
    }
    const first = transportResult(transports[0] ?? 'router', measured[transports[0] ?? 'router']);
    const msw = params.via === 'both' ? transportResult('msw', measured.msw) : undefined;
    return {
      via: first.via,
      endpoints: first.endpoints,
      loginsPerSecond: first.loginsPerSecond,
      ...(msw === undefined ? {} : { msw, speedup: speedupOf(first, msw) }),
      notes: [
        'autocannon and the mock share the same cores; the mock is served by its direct router (node:http, no fetch objects).',
        'msw: the same routes through msw getResponse (a fetch Request and Response per call), the path the router replaced.',
        'A login through the reference server costs one begin and one or more polls (long-polls wait on the user, not on the mock).',
      ],
    };
  } finally {
    await target.close();
  }
}

function renderTransport(via: Via, endpoints: readonly EndpointResult[], logins: number): string[] {
  return [
    `  ${via}:`,
    ...endpoints.map(
      (e) =>
        `    ${e.endpoint.padEnd(7)} ${String(e.perSecond).padStart(7)} req/s  p50 ${String(e.p50Ms).padStart(4)} ms  p99 ${String(e.p99Ms).padStart(4)} ms  errors ${e.errors}  non-2xx ${e.non2xx}`,
    ),
    `    begin + poll pairs: ${logins} MFA logins/s`,
  ];
}

export function renderMfaMockResults(results: MfaMockResults): string {
  const speedup = results.speedup;
  return [
    'mfa-mock: the cloud MFA mock over HTTP (autocannon)',
    ...renderTransport(results.via, results.endpoints, results.loginsPerSecond),
    ...(results.msw === undefined
      ? []
      : renderTransport('msw', results.msw.endpoints, results.msw.loginsPerSecond)),
    ...(speedup === undefined
      ? []
      : [
          `  router / msw: health ${formatRatio(speedup.health)}, begin ${formatRatio(speedup.begin)}, poll ${formatRatio(speedup.poll)}, logins ${formatRatio(speedup.logins)}`,
        ]),
    ...results.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

export const mfaMockBench: BenchDefinition<typeof mfaMockParams, MfaMockResults> = {
  name: 'mfa-mock',
  summary:
    'The MFA mock under autocannon: requests/s and latency for health, begin and poll, router vs msw getResponse.',
  params: mfaMockParams,
  run: (params) => runMfaMockBench(params),
  render: renderMfaMockResults,
};

if (isMainModule(import.meta.url)) runAsScript(mfaMockBench);
