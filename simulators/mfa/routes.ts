// The MFA mock's endpoints as one transport-neutral table: method, path pattern, host group and a
// function from a request to a reply. Two transports serve the same table: msw handlers
// (handlers.ts: fetch in the same process) and the direct node:http router (router.ts: the mock over
// real HTTP), so in-process tests and a server in another process see one behaviour. Injected
// faults (latency, 5xx, dropped connections, token errors, unreachable) are applied here, at the HTTP
// layer, where a real outage would show.

import { formatIssue } from '../../runtime/validation/index.ts';
import {
  hostOfEndpoint,
  MFA_PATHS,
  type CallRecord,
  type CallHistoryResponse,
  type ErrorResponse,
  type FaultKind,
  type HealthResponse,
  type MfaEndpoint,
  type MfaHost,
  type MfaServiceErrorCode,
  type SmsOutboxResponse,
} from './api-types.ts';
import { HTTP_STATUS, mfaFailure, tokenFailure, type MfaFailure, type MfaResult } from './errors.ts';
import { validateFaultSettings } from './faults.ts';
import { parseBeginRequest, parseCodeRequest, parseTokenRequest } from './requests.ts';
import type { MfaService } from './service.ts';

/** What an endpoint reads of a request, whichever transport carried it. */
export interface MockRequest {
  readonly method: string;
  /** The URL the client asked for (its host name, not the loopback address). */
  readonly url: URL;
  /** A header's value, repeated headers joined with ", " (as fetch's Headers.get); null when absent. */
  header(name: string): string | null;
  /** The body as UTF-8 text (a leading BOM dropped, as fetch's text()). */
  text(): Promise<string>;
  /** Aborted when the client goes away or the server closes: a long-poll stops waiting. */
  readonly signal: AbortSignal;
}

/** What an endpoint answers: a JSON body, an empty body, or a dropped connection. */
export type MockReply =
  | { readonly kind: 'json'; readonly status: number; readonly body: unknown }
  | { readonly kind: 'empty'; readonly status: number }
  | { readonly kind: 'drop' };

export type MockRouteGroup = MfaHost | 'admin';
export type MockRouteMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface MockRoute {
  readonly group: MockRouteGroup;
  readonly method: MockRouteMethod;
  /** msw path syntax, from MFA_PATHS: `/sts/:tenantId/token`. */
  readonly path: string;
  /** `params` are the path's parameters, already percent-decoded. */
  handle(request: MockRequest, params: Readonly<Record<string, string>>): MockReply | Promise<MockReply>;
}

export interface MfaRouteOptions {
  /**
   * The resource tokens are issued for ("https://" + AZURE_MFA_RESOURCE_HOSTNAME). A token request
   * naming another resource gets ESTS_TOKEN_ERROR (unknown_resource); one naming none is served.
   * Default: any resource.
   */
  readonly resource?: string;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
  /** What the call history records as the call's result. */
  readonly result: string;
}

const DROP: MockReply = { kind: 'drop' };

function json(body: unknown, status = 200): MockReply {
  return { kind: 'json', status, body };
}

function errorBody(failure: MfaFailure): ErrorResponse {
  return {
    error: {
      code: failure.code,
      message: failure.message,
      ...(failure.detail === undefined ? {} : { detail: failure.detail }),
    },
  };
}

function errorReply(failure: MfaFailure, status = HTTP_STATUS[failure.code]): Reply {
  return { status, body: errorBody(failure), result: failure.code };
}

function okReply<T>(result: MfaResult<T>, status: number, describe: (value: T) => string): Reply {
  return result.ok ? { status, body: result.value, result: describe(result.value) } : errorReply(result);
}

async function readJson(request: MockRequest): Promise<MfaResult<unknown>> {
  const text = await request.text();
  if (text.trim() === '') return mfaFailure('REQUEST_FORMAT_ERROR', 'empty body; send JSON');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return mfaFailure('REQUEST_FORMAT_ERROR', 'body is not valid JSON');
  }
}

/** Entra's token endpoint takes a form (RFC 6749 section 4.4.2); radmfa's clients send JSON. */
async function readTokenBody(request: MockRequest): Promise<MfaResult<unknown>> {
  const type = request.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) return readJson(request);
  return { ok: true, value: Object.fromEntries(new URLSearchParams(await request.text())) };
}

/** A refused token: the call history records the reason ("ESTS_TOKEN_ERROR:certificate_expired"). */
function tokenReply(failure: MfaFailure): Reply {
  const reason = failure.code === 'ESTS_TOKEN_ERROR' ? failure.detail?.split(':')[0] : undefined;
  const reply = errorReply(failure);
  return reason === undefined ? reply : { ...reply, result: `${failure.code}:${reason}` };
}

/** Lets an endpoint add to its own call record (the session it created, a fault it applied). */
interface CallNotes {
  annotate(patch: Partial<Omit<CallRecord, 'seq'>>): void;
  fault(kind: FaultKind): void;
}

/**
 * Records the call, applies the faults planned for it, runs `work`, and completes the record.
 * Unreachable means nothing listened: no record, a network error.
 */
async function serve(
  service: MfaService,
  endpoint: MfaEndpoint,
  described: Omit<CallRecord, 'seq' | 'endpoint' | 'receivedAt'>,
  work: (notes: CallNotes) => Reply | Promise<Reply>,
): Promise<MockReply> {
  if (!service.faults.isReachable(hostOfEndpoint(endpoint))) return DROP;
  const { clock, history } = service;
  const seq = history.record({ endpoint, receivedAt: clock.now(), ...described });
  const plan = service.faults.plan(endpoint);
  const faults: FaultKind[] = [...plan.applied];
  const notes: CallNotes = {
    annotate: (patch) => history.update(seq, patch),
    fault: (kind) => {
      faults.push(kind);
      history.update(seq, { faults: [...faults] });
    },
  };
  if (faults.length > 0) history.update(seq, { faults: [...faults] });
  if (plan.latencyMs > 0) await clock.sleep(plan.latencyMs);
  if (plan.action === 'drop') {
    history.update(seq, { respondedAt: clock.now(), httpStatus: 0, result: 'dropped' });
    return DROP;
  }
  const reply =
    plan.action === 'server_error'
      ? errorReply(mfaFailure('ServiceUnavailable', 'injected server error'), plan.status)
      : await work(notes);
  if (plan.action === 'drop_after_processing') {
    history.update(seq, { respondedAt: clock.now(), httpStatus: 0, result: `dropped:${reply.result}` });
    return DROP;
  }
  history.update(seq, { respondedAt: clock.now(), httpStatus: reply.status, result: reply.result });
  return json(reply.body, reply.status);
}

function adminError(code: MfaServiceErrorCode, detail: string): MockReply {
  return json(errorBody(mfaFailure(code, detail)), HTTP_STATUS[code]);
}

function optionalInt(value: string | null): number | undefined | 'invalid' {
  if (value === null || value === '') return undefined;
  return /^\d+$/.test(value) ? Number(value) : 'invalid';
}

/** Whether a token request's `resource` is one this service issues tokens for. */
function resourceMatches(request: MockRequest, expected: string | undefined): boolean {
  const asked = request.url.searchParams.get('resource');
  if (expected === undefined || asked === null) return true;
  return asked.replace(/\/+$/, '').toLowerCase() === expected.replace(/\/+$/, '').toLowerCase();
}

function tokenRoute(service: MfaService, options: MfaRouteOptions): MockRoute {
  return {
    group: 'sts',
    method: 'POST',
    path: MFA_PATHS.token,
    async handle(request, params) {
      const tenantId = params['tenantId'] ?? '';
      const body = await readTokenBody(request);
      const parsed = body.ok ? parseTokenRequest(body.value) : body;
      const audience = `${request.url.origin}${request.url.pathname}`;
      return serve(service, 'token', { tenantId }, (notes) => {
        if (!parsed.ok) return tokenReply(parsed);
        if (!resourceMatches(request, options.resource)) return tokenReply(tokenFailure('unknown_resource'));
        if (service.faults.tokenErrorNow()) {
          notes.fault('token_error');
          return errorReply(tokenFailure('injected'));
        }
        const issued = service.issueToken(tenantId, parsed.value, audience);
        return issued.ok ? okReply(issued, 200, () => 'token_issued') : tokenReply(issued);
      });
    },
  };
}

function mfaRoutes(service: MfaService): MockRoute[] {
  return [
    {
      group: 'mfa',
      method: 'POST',
      path: MFA_PATHS.begin,
      async handle(request) {
        const body = await readJson(request);
        const parsed = body.ok ? parseBeginRequest(body.value) : body;
        const described = parsed.ok
          ? {
              user: parsed.value.user,
              method: parsed.value.method ?? 'default',
              ...(parsed.value.context === undefined ? {} : { context: parsed.value.context }),
            }
          : {};
        return serve(service, 'begin', described, (notes) => {
          const auth = service.authorize(request.header('authorization'));
          if (!auth.ok) return errorReply(auth);
          if (!parsed.ok) return errorReply(parsed);
          const begun = service.begin(parsed.value);
          if (begun.ok) notes.annotate({ sessionId: begun.value.sessionId, method: begun.value.method });
          return okReply(begun, 201, (value) => value.next);
        });
      },
    },
    {
      group: 'mfa',
      method: 'GET',
      path: MFA_PATHS.session,
      handle(request, params) {
        const sessionId = params['sessionId'] ?? '';
        const wait = optionalInt(request.url.searchParams.get('wait'));
        return serve(
          service,
          'poll',
          { sessionId, ...(typeof wait === 'number' ? { waitMs: wait } : {}) },
          async () => {
            const auth = service.authorize(request.header('authorization'));
            if (!auth.ok) return errorReply(auth);
            if (wait === 'invalid')
              return errorReply(mfaFailure('REQUEST_FORMAT_ERROR', 'wait must be a whole number of ms'));
            const result =
              wait === undefined || wait === 0
                ? service.session(sessionId)
                : await service.awaitSession(sessionId, wait, request.signal);
            return okReply(result, 200, (value) => value.status);
          },
        );
      },
    },
    {
      group: 'mfa',
      method: 'POST',
      path: MFA_PATHS.code,
      async handle(request, params) {
        const sessionId = params['sessionId'] ?? '';
        const body = await readJson(request);
        const parsed = body.ok ? parseCodeRequest(body.value) : body;
        return serve(
          service,
          'code',
          { sessionId, ...(parsed.ok ? { code: parsed.value.code } : {}) },
          () => {
            const auth = service.authorize(request.header('authorization'));
            if (!auth.ok) return errorReply(auth);
            if (!parsed.ok) return errorReply(parsed);
            return okReply(service.submitCode(sessionId, parsed.value), 200, (value) =>
              value.resultCode === undefined ? value.verdict : `${value.verdict}:${value.resultCode}`,
            );
          },
        );
      },
    },
  ];
}

/** Admin endpoints: never recorded, never faulted (except unreachable, where nothing answers at all). */
function adminRoutes(service: MfaService): MockRoute[] {
  const admin = (
    method: MockRouteMethod,
    path: string,
    handle: (request: MockRequest) => MockReply | Promise<MockReply>,
  ): MockRoute => ({
    group: 'admin',
    method,
    path,
    handle: (request) => (service.faults.reachable ? handle(request) : DROP),
  });
  return [
    admin('GET', MFA_PATHS.adminHealth, () => {
      const body: HealthResponse = {
        ok: true,
        tenantId: service.tenant.id,
        now: service.clock.now(),
        users: service.userCount,
      };
      return json(body);
    }),

    admin('GET', MFA_PATHS.adminCalls, (request) => {
      const query = request.url.searchParams;
      const since = optionalInt(query.get('since'));
      if (since === 'invalid') return adminError('REQUEST_FORMAT_ERROR', 'since must be a call seq');
      const endpoint = query.get('endpoint');
      if (endpoint !== null && !['token', 'begin', 'poll', 'code'].includes(endpoint)) {
        return adminError('REQUEST_FORMAT_ERROR', 'endpoint must be token, begin, poll or code');
      }
      const user = query.get('user');
      const sessionId = query.get('sessionId');
      const body: CallHistoryResponse = {
        calls: service.history.list({
          ...(since === undefined ? {} : { since }),
          ...(endpoint === null ? {} : { endpoint: endpoint as MfaEndpoint }),
          ...(user === null ? {} : { user }),
          ...(sessionId === null ? {} : { sessionId }),
        }),
      };
      return json(body);
    }),

    admin('DELETE', MFA_PATHS.adminCalls, () => {
      service.history.clear();
      return { kind: 'empty', status: 204 };
    }),

    admin('GET', MFA_PATHS.adminSms, (request) => {
      const query = request.url.searchParams;
      const since = optionalInt(query.get('since'));
      if (since === 'invalid') return adminError('REQUEST_FORMAT_ERROR', 'since must be a message seq');
      const user = query.get('user');
      const sessionId = query.get('sessionId');
      const body: SmsOutboxResponse = {
        messages: service.outbox.list({
          ...(since === undefined ? {} : { since }),
          ...(user === null ? {} : { user }),
          ...(sessionId === null ? {} : { sessionId }),
        }),
      };
      return json(body);
    }),

    admin('GET', MFA_PATHS.adminFaults, () => json(service.faults.settings)),

    admin('PUT', MFA_PATHS.adminFaults, async (request) => {
      const body = await readJson(request);
      if (!body.ok) return json(errorBody(body), 400);
      const checked = validateFaultSettings(body.value);
      if (!checked.ok) return adminError('REQUEST_FORMAT_ERROR', checked.issues.map(formatIssue).join('; '));
      service.faults.set(checked.settings);
      return json(service.faults.settings);
    }),

    admin('DELETE', MFA_PATHS.adminFaults, () => {
      service.faults.clear();
      return { kind: 'empty', status: 204 };
    }),
  ];
}

/** Every endpoint, in the order msw tries them (the order decides which route a path meets first). */
export function createMfaRoutes(service: MfaService, options: MfaRouteOptions = {}): MockRoute[] {
  return [tokenRoute(service, options), ...mfaRoutes(service), ...adminRoutes(service)];
}
