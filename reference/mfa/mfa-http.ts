import type { Clock } from '../../runtime/clock.ts';
import type { ErrorResponse, MfaErrorCode, MfaServiceErrorCode } from '../../protocol/mfa-api.ts';

/** What one HTTP call to the MFA service came to: a body, a service error, or no usable answer. */
export type MfaCallResult<T> =
  | { readonly kind: 'ok'; readonly status: number; readonly body: T }
  | { readonly kind: 'service-error'; readonly status: number; readonly code: MfaServiceErrorCode; readonly message: string }
  | { readonly kind: 'transport-error'; readonly code: Extract<MfaErrorCode, 'HTTP_CONNECT_ERROR' | 'HTTPS_COMMUNICATION_ERROR'>; readonly message: string };

export interface MfaHttpOptions {
  readonly baseUrl: string;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** Injected for tests; defaults to the global fetch (which msw intercepts in process). */
  readonly fetch?: typeof fetch;
}

function isErrorResponse(value: unknown): value is ErrorResponse {
  return typeof value === 'object' && value !== null && typeof (value as { error?: { code?: unknown } }).error?.code === 'string';
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
      return { kind: 'transport-error', code: 'HTTPS_COMMUNICATION_ERROR', message: `HTTP ${response.status} with a body that is not JSON` };
    }
    if (isErrorResponse(parsed)) {
      return { kind: 'service-error', status: response.status, code: parsed.error.code, message: parsed.error.message };
    }
    if (!response.ok) {
      return { kind: 'service-error', status: response.status, code: 'ServiceUnavailable', message: `HTTP ${response.status}` };
    }
    return { kind: 'ok', status: response.status, body: parsed as T };
  } catch (error) {
    const aborted = controller.signal.aborted;
    return {
      kind: 'transport-error',
      code: aborted ? 'HTTPS_COMMUNICATION_ERROR' : 'HTTP_CONNECT_ERROR',
      message: aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message,
    };
  } finally {
    options.clock.clearTimeout(timer);
  }
}
