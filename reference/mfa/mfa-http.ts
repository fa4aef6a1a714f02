import type { Clock } from '../../runtime/clock.ts';
import type { ErrorResponse, MfaErrorCode, MfaServiceErrorCode } from '../../protocol/mfa-api.ts';
import { tlsRefusalOf, type MfaFetch, type TlsRefusal } from './mfa-transport.ts';

/** What one HTTP call to the MFA service came to: a body, a service error, or no usable answer. */
export type MfaCallResult<T> =
  | { readonly kind: 'ok'; readonly status: number; readonly body: T }
  | {
      readonly kind: 'service-error';
      readonly status: number;
      readonly code: MfaServiceErrorCode;
      readonly message: string;
    }
  | {
      readonly kind: 'transport-error';
      readonly code: Extract<MfaErrorCode, 'HTTP_CONNECT_ERROR' | 'HTTPS_COMMUNICATION_ERROR'>;
      readonly message: string;
      /** Set when TLS (or the plain-HTTP rule) refused the connection. */
      readonly tls?: TlsRefusal;
    };

export interface MfaHttpOptions {
  readonly baseUrl: string;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** The transport (mfa-transport.ts), or an in-process mock's; defaults to the global fetch. */
  readonly fetch?: MfaFetch;
  /** Aborts every call in progress (the server is shutting down). */
  readonly signal?: AbortSignal;
}

function isErrorResponse(value: unknown): value is ErrorResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { error?: { code?: unknown } }).error?.code === 'string'
  );
}

/**
 * Socket errors that mean no connection was made. fetch reports every network failure as the same
 * TypeError ("fetch failed"); only its cause (a Node system error, or an undici error) says whether
 * nothing accepted the connection or an accepted one broke.
 */
const CONNECT_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * The NPS extension's two words for a service that gave no usable answer: HTTP_CONNECT_ERROR when
 * nothing accepted the connection, HTTPS_COMMUNICATION_ERROR when a connection was made and then
 * broke (reset, closed before the answer). Without a cause (an in-process mock's network error)
 * nothing says a connection existed, so it counts as a connect error.
 */
export function classifyNetworkError(
  error: unknown,
): Pick<Extract<MfaCallResult<unknown>, { kind: 'transport-error' }>, 'code' | 'message' | 'tls'> {
  const message = error instanceof Error ? error.message : String(error);
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  if (typeof cause !== 'object' || cause === null) return { code: 'HTTP_CONNECT_ERROR', message };
  const { code, message: causeMessage } = cause as { code?: unknown; message?: unknown };
  const detail =
    typeof causeMessage === 'string' && causeMessage !== '' ? `${message}: ${causeMessage}` : message;
  if (typeof code !== 'string' || CONNECT_ERRORS.has(code))
    return { code: 'HTTP_CONNECT_ERROR', message: detail };
  // A refused certificate or protocol: the connection was made and TLS ended it, fail-closed.
  const tls = tlsRefusalOf(code, typeof causeMessage === 'string' ? causeMessage : '');
  if (tls !== undefined)
    return { code: 'HTTPS_COMMUNICATION_ERROR', message: `TLS ${tls} (${code}): ${detail}`, tls };
  return { code: 'HTTPS_COMMUNICATION_ERROR', message: detail };
}

/**
 * Calls in flight per closing signal. One listener on the signal aborts them all: a listener added
 * and removed per call (EventTarget's bookkeeping) was a tenth of an MFA call's CPU under load.
 */
const callsInFlight = new WeakMap<AbortSignal, Set<AbortController>>();

function trackCall(closing: AbortSignal, call: AbortController): Set<AbortController> {
  let calls = callsInFlight.get(closing);
  if (calls === undefined) {
    const tracked = new Set<AbortController>();
    calls = tracked;
    callsInFlight.set(closing, tracked);
    closing.addEventListener(
      'abort',
      () => {
        for (const each of tracked) each.abort();
        tracked.clear();
      },
      { once: true },
    );
  }
  calls.add(call);
  return calls;
}

/**
 * JSON over HTTP with a Clock-driven timeout: a hung MFA service ends in a transport error after
 * `timeoutMs` of (possibly virtual) time, and the request is aborted so no socket lingers.
 */
export async function callMfa<T>(
  options: MfaHttpOptions,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  token?: string,
  timeoutMs = options.timeoutMs,
): Promise<MfaCallResult<T>> {
  const controller = new AbortController();
  const timer = options.clock.setTimeout(() => controller.abort(), timeoutMs);
  const calls = options.signal !== undefined ? trackCall(options.signal, controller) : undefined;
  if (options.signal?.aborted === true) controller.abort();
  const doFetch = options.fetch ?? fetch;
  try {
    const response = await doFetch(new URL(path, options.baseUrl), {
      method,
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: controller.signal,
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      return {
        kind: 'transport-error',
        code: 'HTTPS_COMMUNICATION_ERROR',
        message: `HTTP ${response.status} with a body that is not JSON`,
      };
    }
    if (isErrorResponse(parsed)) {
      return {
        kind: 'service-error',
        status: response.status,
        code: parsed.error.code,
        // The detail says which of several causes (a token refused as unknown_certificate, ...).
        message:
          parsed.error.detail === undefined
            ? parsed.error.message
            : `${parsed.error.message} (${parsed.error.detail})`,
      };
    }
    if (!response.ok) {
      return {
        kind: 'service-error',
        status: response.status,
        code: 'ServiceUnavailable',
        message: `HTTP ${response.status}`,
      };
    }
    return { kind: 'ok', status: response.status, body: parsed as T };
  } catch (error) {
    if (controller.signal.aborted) {
      return {
        kind: 'transport-error',
        code: 'HTTPS_COMMUNICATION_ERROR',
        message:
          options.signal?.aborted === true ? 'the MFA client was closed' : `no answer within ${timeoutMs} ms`,
      };
    }
    return { kind: 'transport-error', ...classifyNetworkError(error) };
  } finally {
    options.clock.clearTimeout(timer);
    calls?.delete(controller);
  }
}
