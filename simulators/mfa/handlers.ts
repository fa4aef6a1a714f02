// The MFA mock's endpoints (routes.ts) as msw request handlers, for fetch in the same process
// (msw/node setupServer, or getResponse as the in-process fetch). Over real HTTP the mock is served
// by the direct router (router.ts) from the same route table, so both see one behaviour.

import { http, HttpResponse, type HttpHandler, type JsonBodyType } from 'msw';
import {
  createMfaRoutes,
  type MockReply,
  type MockRequest,
  type MockRoute,
  type MockRouteMethod,
} from './routes.ts';
import type { MfaService } from './service.ts';

export interface MfaHandlerOptions {
  /**
   * Origin the handlers answer for, e.g. "https://mfa.radmfa.test". Default "*": any origin, which
   * suits both the loopback HTTP server (whatever port it got) and in-process tests.
   */
  readonly baseUrl?: string;
  /**
   * The resource tokens are issued for ("https://" + AZURE_MFA_RESOURCE_HOSTNAME). A token request
   * naming another resource gets ESTS_TOKEN_ERROR (unknown_resource); one naming none is served.
   * Default: any resource.
   */
  readonly resource?: string;
}

/** The handlers by the host that serves them; admin endpoints are served on every host. */
export interface MfaHandlerGroups {
  readonly sts: HttpHandler[];
  readonly mfa: HttpHandler[];
  readonly admin: HttpHandler[];
}

/** msw has already percent-decoded path parameters; decoding again would turn "%25" into "%" and on. */
function param(value: string | readonly string[] | undefined): string {
  return typeof value === 'string' ? value : '';
}

function fromFetch(request: Request): MockRequest {
  return {
    method: request.method,
    url: new URL(request.url),
    header: (name) => request.headers.get(name),
    text: () => request.text(),
    signal: request.signal,
  };
}

function toResponse(reply: MockReply): Response {
  switch (reply.kind) {
    case 'json':
      return HttpResponse.json(reply.body as JsonBodyType, { status: reply.status });
    case 'empty':
      return new HttpResponse(null, { status: reply.status });
    case 'drop':
      return HttpResponse.error();
  }
}

const MSW_METHOD: Record<MockRouteMethod, typeof http.get> = {
  GET: http.get,
  POST: http.post,
  PUT: http.put,
  DELETE: http.delete,
};

function toHandler(route: MockRoute, base: string): HttpHandler {
  return MSW_METHOD[route.method](`${base}${route.path}`, async ({ request, params }) => {
    const named: Record<string, string> = {};
    for (const [name, value] of Object.entries(params)) named[name] = param(value);
    return toResponse(await route.handle(fromFetch(request), named));
  });
}

export function createMfaHandlers(service: MfaService, options: MfaHandlerOptions = {}): HttpHandler[] {
  const groups = createMfaHandlerGroups(service, options);
  return [...groups.sts, ...groups.mfa, ...groups.admin];
}

export function createMfaHandlerGroups(
  service: MfaService,
  options: MfaHandlerOptions = {},
): MfaHandlerGroups {
  const routes = createMfaRoutes(
    service,
    options.resource === undefined ? {} : { resource: options.resource },
  );
  return mswHandlerGroups(routes, options.baseUrl);
}

/** msw handlers over an existing route table, grouped by host. */
export function mswHandlerGroups(routes: readonly MockRoute[], baseUrl = '*'): MfaHandlerGroups {
  const base = baseUrl.replace(/\/+$/, '');
  const of = (group: MockRoute['group']): HttpHandler[] =>
    routes.filter((route) => route.group === group).map((route) => toHandler(route, base));
  return { sts: of('sts'), mfa: of('mfa'), admin: of('admin') };
}
