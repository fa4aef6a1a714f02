// Composition: a tenant and a clock make a service, the service makes one route table, and the table
// is served two ways: as msw handlers for fetch in the same process (`mock.handlers` with msw/node's
// setupServer), and by the direct router over loopback HTTP for a server in another process
// (`serveMfaMock(mock)` and its URL).

import type { HttpHandler } from 'msw';
import type { Clock } from '../../runtime/clock.ts';
import type { MfaHost } from './api-types.ts';
import { mswHandlerGroups, type MfaHandlerGroups } from './handlers.ts';
import { MockHttpServer, type Dispatcher, type MockHttpServerOptions } from './http-shell.ts';
import { mswDispatcher } from './msw-http-adapter.ts';
import { routerDispatcher } from './router.ts';
import { createMfaRoutes, type MockRoute } from './routes.ts';
import { MfaService } from './service.ts';
import type { TenantDefinition } from './tenant.ts';

export interface MfaMockOptions {
  readonly tenant: TenantDefinition;
  /** VirtualClock for tests in virtual time; SystemClock when served over real HTTP. */
  readonly clock: Clock;
  /** Overrides the tenant's settings.seed. */
  readonly seed?: number;
  /** See MfaHandlerOptions.baseUrl; default any origin. */
  readonly baseUrl?: string;
  /** See MfaHandlerOptions.resource; default any resource. */
  readonly resource?: string;
  readonly historyLimit?: number;
}

export interface MfaMock {
  readonly service: MfaService;
  /** The endpoints both transports serve, in the order they are tried. */
  readonly routes: readonly MockRoute[];
  /** See MfaHandlerOptions.baseUrl: "*" unless given. */
  readonly baseUrl: string;
  readonly handlers: HttpHandler[];
  /** The same handlers by host, for serving the STS and the MFA host on their own listeners. */
  readonly groups: MfaHandlerGroups;
  /** Releases clock timers; call when the run ends. */
  dispose(): void;
}

export function createMfaMock(options: MfaMockOptions): MfaMock {
  const service = new MfaService({
    tenant: options.tenant,
    clock: options.clock,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.historyLimit === undefined ? {} : { historyLimit: options.historyLimit }),
  });
  const routes = createMfaRoutes(
    service,
    options.resource === undefined ? {} : { resource: options.resource },
  );
  const baseUrl = options.baseUrl ?? '*';
  const groups = mswHandlerGroups(routes, baseUrl);
  const handlers = [...groups.sts, ...groups.mfa, ...groups.admin];
  return { service, routes, baseUrl, handlers, groups, dispose: () => service.dispose() };
}

export interface MfaServeOptions extends MockHttpServerOptions {
  /**
   * What answers over HTTP: the direct router (default), or msw's getResponse over the same routes
   * (a fetch Request and Response per call; kept to compare the two, see bench/mfa-mock.ts).
   */
  readonly via?: 'router' | 'msw';
}

/** A dispatcher over the routes of `groups` (in that order), by the transport asked for. */
function dispatcherFor(
  mock: MfaMock,
  groups: readonly MockRoute['group'][],
  via: MfaServeOptions['via'],
): Dispatcher {
  if (via === 'msw') return mswDispatcher(groups.flatMap((group) => mock.groups[group]));
  const routes = groups.flatMap((group) => mock.routes.filter((route) => route.group === group));
  return routerDispatcher(routes, mock.baseUrl);
}

export interface MfaHttpServer {
  /** e.g. "http://127.0.0.1:41234": the base URL for the API's paths. */
  readonly url: string;
  readonly port: number;
  /** "127.0.0.1:41234": where a client maps this listener's host name to (mfa.resolve). */
  readonly address: string;
  readonly listening: boolean;
  /** Resolves once the listener matches the unreachable fault (closed, or reopened). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves the mock's handlers on loopback. The unreachable fault closes the listener (connection
 * refused) and clearing it, or its forMs running out, reopens it on the same port.
 */
export function serveMfaMock(mock: MfaMock, options: MfaServeOptions = {}): Promise<MfaHttpServer> {
  const faults = mock.service.faults;
  const dispatch = dispatcherFor(mock, ['sts', 'mfa', 'admin'], options.via);
  return serveFollowingFaults(mock, dispatch, options, () => faults.reachable);
}

/** A listener that closes while `reachable()` is false (connection refused) and reopens after. */
async function serveFollowingFaults(
  mock: MfaMock,
  dispatch: Dispatcher,
  options: MockHttpServerOptions,
  reachable: () => boolean,
): Promise<MfaHttpServer> {
  const server = await MockHttpServer.start(dispatch, options);
  const faults = mock.service.faults;
  // Transitions run one after another, so a quick off/on cannot reopen before the close finished.
  let queue: Promise<void> = Promise.resolve();
  const follow = (): void => {
    // After a failed transition (port taken on reopen) the next one still runs; settled() reports the latest.
    queue = queue
      .catch(() => undefined)
      .then(async () => {
        if (reachable()) await server.resumeListening();
        else server.stopListening();
      });
  };
  const unsubscribe = faults.onReachabilityChange(follow);
  if (!reachable()) follow();
  return {
    get url() {
      return server.url;
    },
    get port() {
      return server.port;
    },
    get address() {
      return server.address;
    },
    get listening() {
      return server.listening;
    },
    settled: () => queue,
    close: async () => {
      unsubscribe();
      await queue.catch(() => undefined);
      await server.close();
    },
  };
}

/** The host names one cloud's mock plays (from the cloud preset, or its overrides). */
export interface MfaCloudHostnames {
  /** STS_URL's host, e.g. login.microsoftonline.us. */
  readonly sts: string;
  /** AZURE_MFA_HOSTNAME, e.g. strongauthenticationservice.auth.microsoft.us. */
  readonly mfa: string;
}

export interface MfaCloudServeOptions {
  readonly hostnames: MfaCloudHostnames;
  /** HTTPS with this host's certificate (e.g. from the run's CA); without it, plain HTTP. */
  readonly certificateFor?: (hostname: string) => Promise<{ readonly key: string; readonly cert: string }>;
  /** Loopback address to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** See MfaServeOptions.via. */
  readonly via?: MfaServeOptions['via'];
}

export interface MfaCloudServers {
  readonly sts: MfaHttpServer;
  readonly mfa: MfaHttpServer;
  /** Host name -> "address:port", what the reference server's mfa.resolve takes. */
  readonly resolve: Readonly<Record<string, string>>;
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves the mock as one cloud: the STS (token) and the MFA host (begin, poll, code) each on its own
 * loopback listener under its own name (Host checked; with certificateFor, HTTPS under that name).
 * `unreachable` with hosts closes only that host's listener, so the token service and the MFA
 * service fail apart, as the seed's "security token error" and "HTTP connect error" do.
 */
export async function serveMfaCloud(mock: MfaMock, options: MfaCloudServeOptions): Promise<MfaCloudServers> {
  const faults = mock.service.faults;
  const listen = async (host: MfaHost): Promise<MfaHttpServer> => {
    const hostname = options.hostnames[host].toLowerCase();
    const tls = options.certificateFor === undefined ? undefined : await options.certificateFor(hostname);
    return serveFollowingFaults(
      mock,
      dispatcherFor(mock, [host, 'admin'], options.via),
      { host: options.host ?? '127.0.0.1', hostname, ...(tls === undefined ? {} : { tls }) },
      () => faults.isReachable(host),
    );
  };
  const sts = await listen('sts');
  let mfa: MfaHttpServer;
  try {
    mfa = await listen('mfa');
  } catch (error) {
    await sts.close();
    throw error;
  }
  return {
    sts,
    mfa,
    resolve: {
      [options.hostnames.sts.toLowerCase()]: sts.address,
      [options.hostnames.mfa.toLowerCase()]: mfa.address,
    },
    settled: async () => {
      await Promise.all([sts.settled(), mfa.settled()]);
    },
    close: async () => {
      await Promise.all([sts.close(), mfa.close()]);
    },
  };
}
