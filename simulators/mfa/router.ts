// The mock's endpoints (routes.ts) served straight from node:http: a small table of compiled path
// patterns, the endpoint called with a plain request object, the reply written as bytes. msw's
// getResponse builds a fetch Request and Response and re-matches every handler's path per call,
// which made the mock, not the server under test, the bound of a load run; this path does neither.
//
// Paths match as msw matches them (path-to-regexp 6 under msw 2, what the in-process handlers
// see): case-insensitive, an optional trailing slash, any prefix before the path when the base is
// "*" (the default), parameters percent-decoded (a malformed escape is a URIError: 400), routes tried
// in table order, and a route whose path matches decodes its parameters before its method is
// compared. router-differential.test.ts holds both transports to the same answers.

import type { Dispatcher, DispatchResult, IncomingCall } from './http-shell.ts';
import { BadRequestError, HOP_BY_HOP } from './http-shell.ts';
import type { MockReply, MockRequest, MockRoute } from './routes.ts';

interface CompiledRoute {
  readonly route: MockRoute;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** `base` is "*" (any origin) or an origin such as "https://mfa.radmfa.test". */
function compile(route: MockRoute, base: string): CompiledRoute {
  const names: string[] = [];
  const segments = route.path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      if (!segment.startsWith(':')) return `\\/${escapeRegExp(segment)}`;
      names.push(segment.slice(1));
      return '(?:\\/([^\\/#\\?]+?))';
    });
  // msw's "*" is a parameter too ("0"), decoded like the others: a malformed escape before the path
  // is a URIError there as well.
  if (base === '*') names.unshift('0');
  const prefix = base === '*' ? '(.*)' : escapeRegExp(base.replace(/\/+$/, ''));
  return { route, pattern: new RegExp(`^${prefix}${segments.join('')}[\\/#\\?]?$`, 'i'), names };
}

/** Fetch refuses these methods (and URLs with credentials): the msw path answers them 400. */
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** The same refusal, with the same message, as building a fetch Request would give. */
function checkFetchable(call: IncomingCall): void {
  if (!FORBIDDEN_METHODS.has(call.method) && call.url.username === '' && call.url.password === '') return;
  try {
    new Request(call.url, { method: call.method });
  } catch (error) {
    throw new BadRequestError(error instanceof Error ? error.message : 'bad request');
  }
}

const utf8 = new TextDecoder();
const EMPTY = Buffer.alloc(0);
const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };
const NO_HEADERS: Readonly<Record<string, string>> = {};

function requestOf(call: IncomingCall): MockRequest {
  return {
    method: call.method,
    url: call.url,
    header(name) {
      const wanted = name.toLowerCase();
      if (HOP_BY_HOP.has(wanted)) return null;
      let value: string | null = null;
      const raw = call.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        if ((raw[i] as string).toLowerCase() !== wanted) continue;
        const next = raw[i + 1] as string;
        value = value === null ? next : `${value}, ${next}`;
      }
      return value;
    },
    // TextDecoder drops a leading BOM, as fetch's text() does.
    text: () => Promise.resolve(call.body === undefined ? '' : utf8.decode(call.body)),
    signal: call.signal,
  };
}

function toOutgoing(reply: MockReply): DispatchResult {
  switch (reply.kind) {
    case 'json':
      return { status: reply.status, headers: JSON_HEADERS, body: Buffer.from(JSON.stringify(reply.body)) };
    case 'empty':
      return { status: reply.status, headers: NO_HEADERS, body: EMPTY };
    case 'drop':
      return 'drop';
  }
}

/** A Dispatcher over `routes`, tried in order; `base` as MfaHandlerOptions.baseUrl (default "*"). */
export function routerDispatcher(routes: readonly MockRoute[], base = '*'): Dispatcher {
  const table = routes.map((route) => compile(route, base));
  return async (call) => {
    checkFetchable(call);
    const target = `${call.url.origin}${call.url.pathname}`;
    for (const { route, pattern, names } of table) {
      const match = pattern.exec(target);
      if (match === null) continue;
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        const value = match[i + 1];
        if (value !== undefined) params[name] = decodeURIComponent(value);
      });
      if (route.method !== call.method.toUpperCase()) continue;
      return toOutgoing(await route.handle(requestOf(call), params));
    }
    return undefined;
  };
}
