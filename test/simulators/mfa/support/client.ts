// A thin typed client over fetch for the mock's API, so the shared contract suite reads like the
// protocol. It reports HTTP errors as values and network failures as a `network` result, the way the
// reference server's client must tell them apart (ESTS/user errors vs HTTP_CONNECT_ERROR).

import {
  codePath,
  sessionPath,
  tokenPath,
  type BeginRequest,
  type BeginResponse,
  type CallHistoryResponse,
  type CodeResponse,
  type ErrorResponse,
  type FaultSettings,
  type SessionResponse,
  type SmsOutboxResponse,
  type TokenResponse,
} from '../../../../simulators/mfa/api-types.ts';

export type Reply<T> =
  | { readonly kind: 'ok'; readonly status: number; readonly body: T }
  | { readonly kind: 'error'; readonly status: number; readonly body: ErrorResponse }
  | { readonly kind: 'network'; readonly error: string };

export const DEMO_TENANT_ID = '3f6b2c1e-8a4d-4e2f-9b7a-0c5d1e2f3a4b';
export const DEMO_THUMBPRINT = 'A1B2C3D4E5F60718293A4B5C6D7E8F9001122334';

export class MfaTestClient {
  token = '';

  constructor(readonly baseUrl: string) {}

  async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== '') headers['authorization'] = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      return {
        kind: 'network',
        error: cause?.code ?? (error instanceof Error ? error.message : String(error)),
      };
    }
    const text = await response.text();
    const parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (response.ok) return { kind: 'ok', status: response.status, body: parsed as T };
    return { kind: 'error', status: response.status, body: parsed as ErrorResponse };
  }

  async login(tenantId = DEMO_TENANT_ID, thumbprint = DEMO_THUMBPRINT): Promise<Reply<TokenResponse>> {
    const reply = await this.requestToken(tenantId, thumbprint);
    if (reply.kind === 'ok') this.token = reply.body.accessToken;
    return reply;
  }

  requestToken(tenantId: string, thumbprint: string): Promise<Reply<TokenResponse>> {
    return this.call('POST', tokenPath(tenantId), { clientCertificateThumbprint: thumbprint });
  }

  begin(request: BeginRequest): Promise<Reply<BeginResponse>> {
    return this.call('POST', '/mfa/v1/authentications', request);
  }

  poll(sessionId: string, waitMs?: number): Promise<Reply<SessionResponse>> {
    return this.call('GET', sessionPath(sessionId, waitMs));
  }

  code(sessionId: string, code: string): Promise<Reply<CodeResponse>> {
    return this.call('POST', codePath(sessionId), { code });
  }

  calls(query = ''): Promise<Reply<CallHistoryResponse>> {
    return this.call('GET', `/_admin/calls${query}`);
  }

  sms(user: string): Promise<Reply<SmsOutboxResponse>> {
    return this.call('GET', `/_admin/sms?user=${encodeURIComponent(user)}`);
  }

  setFaults(settings: FaultSettings | string): Promise<Reply<FaultSettings>> {
    return this.call('PUT', '/_admin/faults', settings);
  }
}

/** The body of an ok reply, or a test failure naming what came back instead. */
export function okBody<T>(reply: Reply<T>): T {
  if (reply.kind === 'ok') return reply.body;
  throw new Error(`expected a 2xx reply, got ${JSON.stringify(reply)}`);
}

export function errorCode(reply: Reply<unknown>): string {
  if (reply.kind === 'error') return reply.body.error.code;
  throw new Error(`expected an error reply, got ${JSON.stringify(reply)}`);
}
