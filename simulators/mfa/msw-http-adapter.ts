// msw request handlers served on a real node:http socket through msw's getResponse. The mock itself
// is served by the direct router (router.ts), which builds no fetch Request or Response per call;
// this dispatcher stays to serve any msw handlers over HTTP and as the reference the router is
// compared with (test/simulators/mfa/router-differential.test.ts, bench/mfa-mock.ts --via msw).
// @mswjs/http-middleware 0.10.3 was tried first: a handler returning HttpResponse.error() (a
// dropped connection, one of the mock's faults) makes it set status 0 and throw
// ERR_HTTP_INVALID_STATUS_CODE, which takes down the process; here a network-error response
// becomes a destroyed socket, which is what a client sees of a real drop.

import { getResponse, type RequestHandler } from 'msw';
import {
  BadRequestError,
  HOP_BY_HOP,
  MockHttpServer,
  type Dispatcher,
  type MockHttpServerOptions,
} from './http-shell.ts';

export type MswHttpServerOptions = MockHttpServerOptions;
export type MswHttpServer = MockHttpServer;

/** A Dispatcher that asks msw's getResponse, with a fetch Request built from the call. */
export function mswDispatcher(handlers: readonly RequestHandler[]): Dispatcher {
  return async (call) => {
    const headers = new Headers();
    for (let i = 0; i + 1 < call.rawHeaders.length; i += 2) {
      const name = call.rawHeaders[i] ?? '';
      if (!HOP_BY_HOP.has(name.toLowerCase())) headers.append(name, call.rawHeaders[i + 1] ?? '');
    }
    let request: Request;
    try {
      request = new Request(call.url, {
        method: call.method,
        headers,
        signal: call.signal,
        ...(call.body === undefined ? {} : { body: call.body }),
      });
    } catch (error) {
      throw new BadRequestError(error instanceof Error ? error.message : 'bad request');
    }
    const response = await getResponse([...handlers], request, { baseUrl: call.url.origin });
    if (response === undefined) return undefined;
    if (response.type === 'error') return 'drop';
    const body = Buffer.from(await response.arrayBuffer());
    const outgoing: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name)) outgoing[name] = value;
    });
    return { status: response.status, headers: outgoing, body };
  };
}

export const MswHttpServer = {
  /** Serves `handlers` on loopback through msw's getResponse. */
  start(handlers: readonly RequestHandler[], options: MswHttpServerOptions = {}): Promise<MockHttpServer> {
    return MockHttpServer.start(mswDispatcher(handlers), options);
  },
};
