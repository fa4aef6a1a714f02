import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import type { ErrorResponse, MfaErrorCode, MfaServiceErrorCode } from '../../protocol/mfa-api.ts';
import {
  tlsRefusalOf,
  type MfaExchange,
  type MfaFetch,
  type MfaRawReply,
  type MfaTransport,
  type TlsRefusal,
} from './mfa-transport.ts';

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
  /**
   * The transport's callback interface (no AbortController, fetch Request or Response per call),
   * for the calls that wait longest: long-polls (startMfaCall). Closing the transport ends every
   * exchange in flight, so these calls need no listener on `signal`.
   */
  readonly exchange?: MfaTransport['exchange'];
}

/** One call: what startMfaCall sends. */
export interface MfaCallSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  readonly token?: string;
  readonly timeoutMs: number;
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

/** An answer's status and body as a call result: the body, the service's error, or a bad body. */
function interpret<T>(status: number, text: string): MfaCallResult<T> {
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    return {
      kind: 'transport-error',
      code: 'HTTPS_COMMUNICATION_ERROR',
      message: `HTTP ${status} with a body that is not JSON`,
    };
  }
  if (isErrorResponse(parsed)) {
    return {
      kind: 'service-error',
      status,
      code: parsed.error.code,
      // The detail says which of several causes (a token refused as unknown_certificate, ...).
      message:
        parsed.error.detail === undefined
          ? parsed.error.message
          : `${parsed.error.message} (${parsed.error.detail})`,
    };
  }
  if (status < 200 || status > 299) {
    return { kind: 'service-error', status, code: 'ServiceUnavailable', message: `HTTP ${status}` };
  }
  return { kind: 'ok', status, body: parsed as T };
}

function requestHeaders(spec: Pick<MfaCallSpec, 'body' | 'token'>): Record<string, string> {
  return {
    accept: 'application/json',
    ...(spec.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(spec.token !== undefined ? { authorization: `Bearer ${spec.token}` } : {}),
  };
}

/**
 * A call held as one small record while it waits (a long-poll can wait a minute, ten thousand at
 * once): its timer and the transport's cancel, no AbortController and no suspended async frame.
 */
class ExchangeCall<T> {
  private cancel: (() => void) | undefined;
  private readonly timer: TimerHandle;
  /** Kept alone, not the spec: the spec's path and token need not live as long as the call. */
  private readonly timeoutMs: number;
  private timedOut = false;
  private finished = false;

  constructor(
    private readonly options: MfaHttpOptions,
    exchange: MfaTransport['exchange'],
    spec: MfaCallSpec,
    private readonly done: (result: MfaCallResult<T>) => void,
  ) {
    this.timeoutMs = spec.timeoutMs;
    // Arrows assigned here, not class-field arrows: tsx names a field arrow with defineProperty,
    // which leaves the function with a ~256-byte dictionary of properties (per call, per login).
    this.timer = options.clock.setTimeout(() => this.onExpired(), spec.timeoutMs);
    const request: MfaExchange = {
      url: new URL(spec.path, options.baseUrl),
      method: spec.method,
      headers: requestHeaders(spec),
      ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
    };
    this.cancel = exchange(request, (error, reply) => this.onReply(error, reply));
  }

  private onExpired(): void {
    this.timedOut = true;
    this.cancel?.();
    this.finish({
      kind: 'transport-error',
      code: 'HTTPS_COMMUNICATION_ERROR',
      message: `no answer within ${this.timeoutMs} ms`,
    });
  }

  private onReply(error: Error | undefined, reply: MfaRawReply | undefined): void {
    if (this.finished || this.timedOut) return;
    if (this.options.signal?.aborted === true) {
      this.finish({
        kind: 'transport-error',
        code: 'HTTPS_COMMUNICATION_ERROR',
        message: 'the MFA client was closed',
      });
    } else if (error !== undefined || reply === undefined) {
      this.finish({
        kind: 'transport-error',
        ...classifyNetworkError(new TypeError('fetch failed', { cause: error })),
      });
    } else {
      this.finish(interpret<T>(reply.status, reply.body.toString('utf8')));
    }
  }

  private finish(result: MfaCallResult<T>): void {
    if (this.finished) return;
    this.finished = true;
    this.cancel = undefined;
    this.options.clock.clearTimeout(this.timer);
    this.done(result);
  }
}

/**
 * callMfa with a callback: over the transport's exchange when there is one (see ExchangeCall),
 * else through callMfa.
 */
export function startMfaCall<T>(
  options: MfaHttpOptions,
  spec: MfaCallSpec,
  done: (result: MfaCallResult<T>) => void,
): void {
  if (options.exchange === undefined) {
    void callMfa<T>(options, spec.method, spec.path, spec.body, spec.token, spec.timeoutMs).then(done);
    return;
  }
  new ExchangeCall<T>(options, options.exchange, spec, done);
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
      headers: requestHeaders({ body, token }),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: controller.signal,
    });
    return interpret<T>(response.status, await response.text());
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
