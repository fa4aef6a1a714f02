// The two embedded stacks a conformance case runs on, behind one interface:
// - virtual: VirtualClock + MemoryNetwork + StaticDirectory + the MFA mock in process (its msw
//   handlers called directly through getResponse, no global interception, so several stacks can
//   live at once) + accounting in SQLite :memory:. A 60 s NAS timeout costs microseconds.
// - udp: the real embedded default (startStack: LDAP stub, MFA mock over loopback HTTP, the server
//   on real loopback sockets), in real time.
import { getResponse } from 'msw';
import { SystemClock, VirtualClock, type Clock } from '../../runtime/clock.ts';
import {
  MemoryNetwork,
  perfectNetwork,
  randomImpairment,
  type Impairment,
} from '../../runtime/memory-transport.ts';
import type { Endpoint, Transport } from '../../runtime/transport.ts';
import { UdpTransport } from '../../runtime/udp-transport.ts';
import { ValidationError } from '../../runtime/validation/index.ts';
import { openAccountingStore, type AccountingStore } from '../../reference/accounting/index.ts';
import { normaliseServerConfig, type ServerConfig } from '../../reference/config/server-config.ts';
import { StaticDirectory } from '../../reference/directory/static-directory.ts';
import { ServerEvents, type WarningCode } from '../../reference/events.ts';
import { CloudMfa } from '../../reference/mfa/cloud-mfa.ts';
import type { MfaAnswer, MfaFetch } from '../../reference/mfa/mfa-transport.ts';
import { ReferenceServer } from '../../reference/server.ts';
import { loadDirectoryFixture, type DirectoryFixture } from '../../simulators/ldap/index.ts';
import {
  createMfaMock,
  loadTenantFile,
  BadRequestError,
  routerDispatcher,
  type DispatchResult,
  type IncomingCall,
  type OutgoingReply,
  type FaultSettings,
  type MfaMock,
  type TenantDefinition,
} from '../../simulators/mfa/index.ts';
import { startStack } from './compose.ts';
import { staticRecords } from './static-records.ts';

export { staticRecords };
import { embeddedCredential } from './certificates.ts';
import { demoTenantFixture, embeddedDefaultConfig } from './defaults.ts';

/** The secret every embedded client entry has (the one FreeRADIUS and radtest ship with). */
export const EMBEDDED_SECRET = 'testing123';
/** A source address no embedded client entry covers (the stacks list 127.0.0.1 and ::1 only). */
export const UNKNOWN_CLIENT_ADDRESS = '127.0.0.2';
/** Where the in-process mock "answers" in virtual stacks: nothing listens there. */
export const VIRTUAL_MFA_URL = 'https://mfa.radmfa.test';
/** Monday 2025-01-06 09:00:00 UTC: virtual stacks start here, so TOTP codes repeat run to run. */
export const VIRTUAL_START_MS = Date.UTC(2025, 0, 6, 9, 0, 0);

export type EmbeddedKind = 'embedded-virtual' | 'embedded-udp';

export interface EmbeddedStack {
  readonly kind: EmbeddedKind;
  readonly clock: Clock;
  /** Set on virtual stacks: the engine drives it. */
  readonly virtualClock?: VirtualClock;
  readonly transport: Transport;
  readonly network?: MemoryNetwork;
  readonly events: ServerEvents;
  readonly server: ReferenceServer;
  readonly config: ServerConfig;
  readonly auth: Endpoint;
  readonly acct: Endpoint;
  readonly mock: MfaMock;
  readonly accounting: AccountingStore;
  /** Warnings the server published while it started (settings that weaken MFA). */
  readonly startupWarnings: readonly WarningCode[];
  /**
   * Replaces the MFA mock's faults (as PUT /_admin/faults does) and resolves once they hold: over
   * HTTP the unreachable fault closes the listener, which takes a moment.
   */
  setMfaFaults(faults: FaultSettings): Promise<void>;
  close(): Promise<void>;
}

/** Collects the warning events published while `start` runs. */
async function recordingStartupWarnings<T>(
  events: ServerEvents,
  start: () => Promise<T>,
): Promise<{ value: T; warnings: WarningCode[] }> {
  const warnings: WarningCode[] = [];
  const listener = (payload: { readonly code: WarningCode }): void => {
    warnings.push(payload.code);
  };
  events.on('warning', listener);
  try {
    return { value: await start(), warnings };
  } finally {
    events.off('warning', listener);
  }
}

export interface StackInput {
  /** Server config input (the embedded default with a case's overrides). */
  readonly serverConfig: Readonly<Record<string, unknown>>;
  /** Absolute path of the directory fixture. */
  readonly directoryFixture: string;
  /** Replaces the config's tenant file (a case's tenant overrides). */
  readonly tenant?: TenantDefinition;
  /** Seeds the MFA mock's user models (overrides the tenant's settings.seed). */
  readonly seed?: number;
}

export interface NetworkImpairments {
  readonly loss?: number;
  readonly delay?: number;
  readonly jitter?: number;
  readonly duplicate?: number;
}

/** The case's server config, made to run here: loopback only, no admin port, accounting in memory. */
export function stackConfig(input: StackInput, ports: { auth: number; acct: number }): ServerConfig {
  const overrides = input.serverConfig;
  const result = normaliseServerConfig({
    ...overrides,
    listen: { hosts: ['127.0.0.1'], authPort: ports.auth, acctPort: ports.acct },
    // The default's clients shrink from /8 to 127.0.0.0/31 (127.0.0.1 and .0), so that
    // UNKNOWN_CLIENT_ADDRESS is unknown; clients a case sets itself stay as it set them. They stay
    // CIDR entries, like the default's, because requireMessageAuthenticator: auto learns only for a
    // single host: shared by every case, a /32 would learn from the first signed request.
    clients:
      JSON.stringify(overrides.clients) === JSON.stringify(embeddedDefaultConfig().clients)
        ? [
            { name: 'localhost', address: '127.0.0.0/31', secret: EMBEDDED_SECRET },
            { name: 'localhost6', address: '::/127', secret: EMBEDDED_SECRET },
          ]
        : overrides.clients,
    directory: { ...(overrides.directory as object), embedded: { fixture: input.directoryFixture } },
    accounting: { path: ':memory:' },
    admin: null,
  });
  if (!result.ok) {
    throw new ValidationError('the case server config', result.issues);
  }
  return result.config;
}

// ---------------------------------------------------------------- directory fixture -> records

const fixtureCache = new Map<string, Promise<DirectoryFixture>>();

function fixtureAt(path: string): Promise<DirectoryFixture> {
  let cached = fixtureCache.get(path);
  if (cached === undefined) {
    cached = loadDirectoryFixture(path);
    fixtureCache.set(path, cached);
    cached.catch(() => fixtureCache.delete(path));
  }
  return cached;
}

const tenantCache = new Map<string, Promise<TenantDefinition>>();

function tenantFor(config: ServerConfig, input: StackInput): Promise<TenantDefinition> {
  if (input.tenant !== undefined) return Promise.resolve(input.tenant);
  // With MFA off the mock only stands idle (a case still counts its prompts): any tenant will do.
  const file = config.mfa.embeddedTenant ?? (config.mfa.enabled ? undefined : demoTenantFixture);
  if (file === undefined) throw new Error('the embedded stacks need mfa.embedded.tenant');
  let cached = tenantCache.get(file);
  if (cached === undefined) {
    cached = loadTenantFile(file);
    tenantCache.set(file, cached);
    cached.catch(() => tenantCache.delete(file));
  }
  return cached;
}

/**
 * fetch for CloudMfa that hands each request to the mock in this process: to its route table
 * through the direct router (router.ts: no fetch Request or Response built, the same answers as msw,
 * see router-differential.test.ts), and what the router has no route for through msw's handlers.
 */
export function inProcessFetch(mock: MfaMock): MfaFetch {
  const viaMsw = mswFetch(mock);
  const dispatch = routerDispatcher(mock.routes, mock.baseUrl);
  return async (input, init) => {
    const call = incomingCallOf(input, init);
    if (call === undefined) return viaMsw(input, init);
    const abortion = abortionOf(init.signal ?? undefined);
    let result: DispatchResult;
    try {
      result = await Promise.race([dispatch(call), abortion.promise]);
    } catch (error) {
      // A request fetch refuses to build: msw's path fails it as fetch does.
      if (error instanceof BadRequestError) return viaMsw(input, init);
      throw error;
    } finally {
      abortion.release();
    }
    if (result === undefined) return viaMsw(input, init);
    if (result === 'drop') throw new TypeError(DROPPED_MESSAGE);
    return answerOf(result);
  };
}

/** Never aborts: the signal of a call made without one. */
const NO_SIGNAL = new AbortController().signal;

/** The call as the router takes it, or undefined for a body or headers only msw's path reads. */
function incomingCallOf(input: URL, init: RequestInit): IncomingCall | undefined {
  const { body } = init;
  if (body !== undefined && body !== null && typeof body !== 'string') return undefined;
  const rawHeaders = rawHeadersOf(init.headers);
  if (rawHeaders === undefined) return undefined;
  const method = (init.method ?? 'GET').toUpperCase();
  return {
    method,
    url: input,
    rawHeaders,
    body: typeof body === 'string' && method !== 'GET' && method !== 'HEAD' ? Buffer.from(body) : undefined,
    signal: init.signal ?? NO_SIGNAL,
  };
}

function rawHeadersOf(headers: RequestInit['headers']): string[] | undefined {
  if (headers === undefined) return [];
  if (headers instanceof Headers || Array.isArray(headers)) return undefined;
  const raw: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') return undefined;
    raw.push(name, value);
  }
  return raw;
}

const utf8 = new TextDecoder();

/** What the MFA client reads of the router's reply, without a fetch Response. */
function answerOf(reply: OutgoingReply): MfaAnswer {
  return {
    status: reply.status,
    ok: reply.status >= 200 && reply.status < 300,
    text: () => Promise.resolve(utf8.decode(reply.body)),
    arrayBuffer: () => Promise.resolve(new Uint8Array(reply.body).buffer),
  };
}

const DROPPED_MESSAGE = 'fetch failed: the MFA mock dropped the connection';

/** fetch over the mock's msw handlers (getResponse), for the calls the in-process client leaves. */
function mswFetch(mock: MfaMock): MfaFetch {
  return async (input, init) => {
    const request = new Request(input, init);
    // getResponse knows nothing of the signal: a slow handler (the latency fault) must still end
    // the call when the client's timeout aborts it, as a real fetch would.
    const signal = init.signal ?? undefined;
    const abortion = abortionOf(signal);
    try {
      const response = await Promise.race([getResponse(mock.handlers, request), abortion.promise]);
      if (response === undefined) {
        return Response.json(
          { error: { code: 'REQUEST_FORMAT_ERROR', message: 'no such endpoint' } },
          { status: 404 },
        );
      }
      // msw's Response.error(): the drop fault, a connection that ends without an answer.
      if (response.type === 'error') throw new TypeError(DROPPED_MESSAGE);
      return response;
    } finally {
      abortion.release();
    }
  };
}

/** A promise that rejects as fetch does (AbortError) when `signal` aborts; release() detaches it. */
function abortionOf(signal: AbortSignal | undefined): { promise: Promise<never>; release: () => void } {
  if (signal === undefined) return { promise: new Promise<never>(() => undefined), release: () => undefined };
  let listener: (() => void) | undefined;
  const promise = new Promise<never>((_, reject) => {
    const fail = (): void => reject(new DOMException('This operation was aborted', 'AbortError'));
    if (signal.aborted) fail();
    listener = fail;
    signal.addEventListener('abort', fail, { once: true });
  });
  return {
    promise,
    release: () => {
      if (listener !== undefined) signal.removeEventListener('abort', listener);
    },
  };
}

function impairmentOf(network: NetworkImpairments | undefined, seed: number): Impairment {
  if (network === undefined) return perfectNetwork;
  return randomImpairment({
    ...(network.loss !== undefined ? { loss: network.loss } : {}),
    ...(network.delay !== undefined ? { delayMs: network.delay } : {}),
    ...(network.jitter !== undefined ? { jitterMs: network.jitter } : {}),
    ...(network.duplicate !== undefined ? { duplicate: network.duplicate } : {}),
    seed,
  });
}

export interface VirtualStackOptions extends StackInput {
  readonly network?: NetworkImpairments;
  readonly clock?: VirtualClock;
}

/** The reference server, directory, MFA mock and accounting in one process, in virtual time. */
export async function startVirtualStack(options: VirtualStackOptions): Promise<EmbeddedStack> {
  const clock = options.clock ?? new VirtualClock(VIRTUAL_START_MS);
  const seed = options.seed ?? 1;
  const base = stackConfig(options, { auth: 1812, acct: 1813 });
  const [fixture, tenant] = await Promise.all([
    fixtureAt(options.directoryFixture),
    tenantFor(base, options),
  ]);
  const settings = {
    ...base.mfa,
    serviceUrl: base.mfa.serviceUrl || VIRTUAL_MFA_URL,
    tenantId: base.mfa.tenantId || tenant.id,
  };
  const config: ServerConfig = { ...base, mfa: settings };
  const events = new ServerEvents();
  const embedded = await embeddedCredential(settings, clock, tenant, (code, message) =>
    events.emit('warning', { code, message }),
  );
  const network = new MemoryNetwork(clock, impairmentOf(options.network, seed));
  const directory = new StaticDirectory({ users: staticRecords(fixture), clock });
  const mock = createMfaMock({ tenant: embedded.tenant ?? tenant, clock, seed });
  const secondFactor = config.mfa.enabled
    ? new CloudMfa({
        settings: config.mfa,
        baseUrl: config.mfa.serviceUrl,
        clock,
        credential: embedded.credential,
        fetch: inProcessFetch(mock),
        onWarning: (code, message, context) =>
          events.emit('warning', {
            code,
            message,
            client: context.client,
            userName: context.user.accountName,
          }),
      })
    : undefined;
  const accounting = openAccountingStore(':memory:');
  let server: ReferenceServer;
  let startupWarnings: WarningCode[];
  try {
    const started = await recordingStartupWarnings(events, () =>
      ReferenceServer.start({
        config,
        transport: network,
        clock,
        directory,
        accounting,
        events,
        ...(secondFactor !== undefined ? { secondFactor } : {}),
      }),
    );
    server = started.value;
    startupWarnings = started.warnings;
  } catch (error) {
    accounting.close();
    mock.dispose();
    secondFactor?.close();
    throw error;
  }
  const [auth] = server.endpoints('auth');
  const [acct] = server.endpoints('acct');
  if (auth === undefined || acct === undefined) throw new Error('the virtual stack opened no sockets');
  return {
    kind: 'embedded-virtual',
    clock,
    virtualClock: clock,
    transport: network,
    network,
    events,
    server,
    config,
    auth,
    acct,
    mock,
    accounting,
    startupWarnings,
    // In process the unreachable fault fails every call at once; nothing to wait for.
    setMfaFaults: (faults) => {
      mock.service.faults.set(faults);
      return Promise.resolve();
    },
    close: async () => {
      await server.close();
      secondFactor?.close();
      accounting.close();
      mock.dispose();
      await directory.close();
    },
  };
}

/** The embedded default on real loopback sockets (LDAP stub, MFA mock over HTTP), in real time. */
export async function startUdpStack(input: StackInput): Promise<EmbeddedStack> {
  const clock = new SystemClock();
  const config = stackConfig(input, { auth: 0, acct: 0 });
  const events = new ServerEvents();
  const { value: stack, warnings: startupWarnings } = await recordingStartupWarnings(events, () =>
    startStack(config, {
      clock,
      transport: new UdpTransport(),
      events,
      ...(input.tenant !== undefined ? { tenant: input.tenant } : {}),
      ...(input.seed !== undefined ? { mfaSeed: input.seed } : {}),
    }),
  );
  const [auth] = stack.server.endpoints('auth');
  const [acct] = stack.server.endpoints('acct');
  const http = stack.mfaHttp;
  if (auth === undefined || acct === undefined) {
    await stack.close();
    throw new Error('the UDP stack started without its sockets');
  }
  // MFA off (the protocol suite): an idle mock nobody calls, so a case still counts its prompts (0).
  const mock =
    stack.mfaMock ?? createMfaMock({ tenant: await tenantFor(config, input), clock, seed: input.seed ?? 1 });
  const idle = stack.mfaMock === undefined ? mock : undefined;
  return {
    kind: 'embedded-udp',
    clock,
    transport: new UdpTransport(),
    events,
    server: stack.server,
    config: stack.config,
    auth,
    acct,
    mock,
    accounting: stack.accounting,
    startupWarnings,
    setMfaFaults: async (faults) => {
      mock.service.faults.set(faults);
      await http?.settled();
    },
    close: async () => {
      idle?.dispose();
      await stack.close();
    },
  };
}
