// Composition: a tenant and a clock make a service, the service makes msw handlers, and the handlers
// can be served over loopback HTTP. In-process tests use `mock.handlers` with msw/node's setupServer;
// a server in another process uses `serveMfaMock(mock)` and its URL.

import type { HttpHandler } from 'msw';
import type { Clock } from '../../runtime/clock.ts';
import { createMfaHandlers } from './handlers.ts';
import { MswHttpServer, type MswHttpServerOptions } from './msw-http-adapter.ts';
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
  readonly historyLimit?: number;
}

export interface MfaMock {
  readonly service: MfaService;
  readonly handlers: HttpHandler[];
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
  const handlers = createMfaHandlers(
    service,
    options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl },
  );
  return { service, handlers, dispose: () => service.dispose() };
}

export interface MfaHttpServer {
  /** e.g. "http://127.0.0.1:41234": the base URL for the API's paths. */
  readonly url: string;
  readonly port: number;
  readonly listening: boolean;
  /** Resolves once the listener matches the unreachable fault (closed, or reopened). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves the mock's handlers on loopback. The unreachable fault closes the listener (connection
 * refused) and clearing it, or its forMs running out, reopens it on the same port.
 */
export async function serveMfaMock(
  mock: MfaMock,
  options: MswHttpServerOptions = {},
): Promise<MfaHttpServer> {
  const server = await MswHttpServer.start(mock.handlers, options);
  const faults = mock.service.faults;
  // Transitions run one after another, so a quick off/on cannot reopen before the close finished.
  let queue: Promise<void> = Promise.resolve();
  const follow = (reachable: boolean): void => {
    // After a failed transition (port taken on reopen) the next one still runs; settled() reports the latest.
    queue = queue
      .catch(() => undefined)
      .then(async () => {
        if (reachable) await server.resumeListening();
        else server.stopListening();
      });
  };
  const unsubscribe = faults.onReachabilityChange(follow);
  if (!faults.reachable) follow(false);
  return {
    get url() {
      return server.url;
    },
    get port() {
      return server.port;
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
