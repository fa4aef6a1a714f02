// The MFA mock's HTTP face as msw request handlers. The same array serves fetch in the same process
// (msw/node setupServer) and real sockets (http-server.ts), so in-process tests and a server in another
// process see one behaviour. Injected faults (latency, 5xx, dropped connections, token errors,
// unreachable) are applied here, at the HTTP layer, where a real outage would show.

import { http, HttpResponse, type HttpHandler, type JsonBodyType } from 'msw';
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
  type MfaServiceErrorCode,
  type SmsOutboxResponse,
} from './api-types.ts';
import { HTTP_STATUS, mfaFailure, tokenFailure, type MfaFailure, type MfaResult } from './errors.ts';
import { validateFaultSettings } from './faults.ts';
import { parseBeginRequest, parseCodeRequest, parseTokenRequest } from './requests.ts';
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

interface Reply {
  readonly status: number;
  readonly body: JsonBodyType;
  /** What the call history records as the call's result. */
  readonly result: string;
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

function okReply<T extends JsonBodyType>(
  result: MfaResult<T>,
  status: number,
  describe: (value: T) => string,
): Reply {
  return result.ok ? { status, body: result.value, result: describe(result.value) } : errorReply(result);
}

async function readJson(request: Request): Promise<MfaResult<unknown>> {
  const text = await request.text();
  if (text.trim() === '') return mfaFailure('REQUEST_FORMAT_ERROR', 'empty body; send JSON');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return mfaFailure('REQUEST_FORMAT_ERROR', 'body is not valid JSON');
  }
}

/** Entra's token endpoint takes a form (RFC 6749 section 4.4.2); radmfa's clients send JSON. */
async function readTokenBody(request: Request): Promise<MfaResult<unknown>> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) return readJson(request);
  return { ok: true, value: Object.fromEntries(new URLSearchParams(await request.text())) };
}

/** A refused token: the call history records the reason ("ESTS_TOKEN_ERROR:certificate_expired"). */
function tokenReply(failure: MfaFailure): Reply {
  const reason = failure.code === 'ESTS_TOKEN_ERROR' ? failure.detail?.split(':')[0] : undefined;
  const reply = errorReply(failure);
  return reason === undefined ? reply : { ...reply, result: `${failure.code}:${reason}` };
}

/** msw has already percent-decoded path parameters; decoding again would turn "%25" into "%" and on. */
function param(value: string | readonly string[] | undefined): string {
  return typeof value === 'string' ? value : '';
}

/**
 * Records the call, applies the faults planned for it, runs `work`, and completes the record.
 * Unreachable means nothing listened: no record, a network error.
 */
/** Lets an endpoint add to its own call record (the session it created, a fault it applied). */
interface CallNotes {
  annotate(patch: Partial<Omit<CallRecord, 'seq'>>): void;
  fault(kind: FaultKind): void;
}

async function serve(
  service: MfaService,
  endpoint: MfaEndpoint,
  described: Omit<CallRecord, 'seq' | 'endpoint' | 'receivedAt'>,
  work: (notes: CallNotes) => Reply | Promise<Reply>,
): Promise<Response> {
  if (!service.faults.isReachable(hostOfEndpoint(endpoint))) return HttpResponse.error();
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
    return HttpResponse.error();
  }
  const reply =
    plan.action === 'server_error'
      ? errorReply(mfaFailure('ServiceUnavailable', 'injected server error'), plan.status)
      : await work(notes);
  if (plan.action === 'drop_after_processing') {
    history.update(seq, { respondedAt: clock.now(), httpStatus: 0, result: `dropped:${reply.result}` });
    return HttpResponse.error();
  }
  history.update(seq, { respondedAt: clock.now(), httpStatus: reply.status, result: reply.result });
  return HttpResponse.json(reply.body, { status: reply.status });
}

function adminError(code: MfaServiceErrorCode, detail: string): Response {
  return HttpResponse.json(errorBody(mfaFailure(code, detail)), { status: HTTP_STATUS[code] });
}

function optionalInt(value: string | null): number | undefined | 'invalid' {
  if (value === null || value === '') return undefined;
  return /^\d+$/.test(value) ? Number(value) : 'invalid';
}

/** Whether a token request's `resource` is one this service issues tokens for. */
function resourceMatches(request: Request, expected: string | undefined): boolean {
  const asked = new URL(request.url).searchParams.get('resource');
  if (expected === undefined || asked === null) return true;
  return asked.replace(/\/+$/, '').toLowerCase() === expected.replace(/\/+$/, '').toLowerCase();
}

export function createMfaHandlers(service: MfaService, options: MfaHandlerOptions = {}): HttpHandler[] {
  const groups = createMfaHandlerGroups(service, options);
  return [...groups.sts, ...groups.mfa, ...groups.admin];
}

export function createMfaHandlerGroups(
  service: MfaService,
  options: MfaHandlerOptions = {},
): MfaHandlerGroups {
  const base = (options.baseUrl ?? '*').replace(/\/+$/, '');
  const at = (path: string): string => `${base}${path}`;

  const sts: HttpHandler[] = [
    http.post(at(MFA_PATHS.token), async ({ request, params }) => {
      const tenantId = param(params['tenantId']);
      const body = await readTokenBody(request);
      const parsed = body.ok ? parseTokenRequest(body.value) : body;
      const url = new URL(request.url);
      const audience = `${url.origin}${url.pathname}`;
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
    }),
  ];

  const mfa: HttpHandler[] = [
    http.post(at(MFA_PATHS.begin), async ({ request }) => {
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
        const auth = service.authorize(request.headers.get('authorization'));
        if (!auth.ok) return errorReply(auth);
        if (!parsed.ok) return errorReply(parsed);
        const begun = service.begin(parsed.value);
        if (begun.ok) notes.annotate({ sessionId: begun.value.sessionId, method: begun.value.method });
        return okReply(begun, 201, (value) => value.next);
      });
    }),

    http.get(at(MFA_PATHS.session), ({ request, params }) => {
      const sessionId = param(params['sessionId']);
      const wait = optionalInt(new URL(request.url).searchParams.get('wait'));
      return serve(
        service,
        'poll',
        { sessionId, ...(typeof wait === 'number' ? { waitMs: wait } : {}) },
        async () => {
          const auth = service.authorize(request.headers.get('authorization'));
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
    }),

    http.post(at(MFA_PATHS.code), async ({ request, params }) => {
      const sessionId = param(params['sessionId']);
      const body = await readJson(request);
      const parsed = body.ok ? parseCodeRequest(body.value) : body;
      return serve(service, 'code', { sessionId, ...(parsed.ok ? { code: parsed.value.code } : {}) }, () => {
        const auth = service.authorize(request.headers.get('authorization'));
        if (!auth.ok) return errorReply(auth);
        if (!parsed.ok) return errorReply(parsed);
        return okReply(service.submitCode(sessionId, parsed.value), 200, (value) =>
          value.resultCode === undefined ? value.verdict : `${value.verdict}:${value.resultCode}`,
        );
      });
    }),
  ];

  // Admin endpoints: never recorded, never faulted (except unreachable, where nothing answers at all).
  const admin: HttpHandler[] = [
    http.get(at(MFA_PATHS.adminHealth), () => {
      if (!service.faults.reachable) return HttpResponse.error();
      const body: HealthResponse = {
        ok: true,
        tenantId: service.tenant.id,
        now: service.clock.now(),
        users: service.userCount,
      };
      return HttpResponse.json(body);
    }),

    http.get(at(MFA_PATHS.adminCalls), ({ request }) => {
      if (!service.faults.reachable) return HttpResponse.error();
      const query = new URL(request.url).searchParams;
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
      return HttpResponse.json(body);
    }),

    http.delete(at(MFA_PATHS.adminCalls), () => {
      if (!service.faults.reachable) return HttpResponse.error();
      service.history.clear();
      return new HttpResponse(null, { status: 204 });
    }),

    http.get(at(MFA_PATHS.adminSms), ({ request }) => {
      if (!service.faults.reachable) return HttpResponse.error();
      const query = new URL(request.url).searchParams;
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
      return HttpResponse.json(body);
    }),

    http.get(at(MFA_PATHS.adminFaults), () => {
      if (!service.faults.reachable) return HttpResponse.error();
      return HttpResponse.json(service.faults.settings);
    }),

    http.put(at(MFA_PATHS.adminFaults), async ({ request }) => {
      if (!service.faults.reachable) return HttpResponse.error();
      const body = await readJson(request);
      if (!body.ok) return HttpResponse.json(errorBody(body), { status: 400 });
      const checked = validateFaultSettings(body.value);
      if (!checked.ok) return adminError('REQUEST_FORMAT_ERROR', checked.issues.map(formatIssue).join('; '));
      service.faults.set(checked.settings);
      return HttpResponse.json(service.faults.settings);
    }),

    http.delete(at(MFA_PATHS.adminFaults), () => {
      if (!service.faults.reachable) return HttpResponse.error();
      service.faults.clear();
      return new HttpResponse(null, { status: 204 });
    }),
  ];

  return { sts, mfa, admin };
}
