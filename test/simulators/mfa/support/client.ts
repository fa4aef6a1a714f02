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
  type TokenRequest,
  type TokenResponse,
} from '../../../../simulators/mfa/api-types.ts';
import { SystemClock, type Clock } from '../../../../runtime/clock.ts';
import type { ClientCredential } from '../../../../reference/mfa/client-credential.ts';
import { DEMO_TENANT_ID, testCredential } from '../../../support/certificates.ts';

export type Reply<T> =
  | { readonly kind: 'ok'; readonly status: number; readonly body: T }
  | { readonly kind: 'error'; readonly status: number; readonly body: ErrorResponse }
  | { readonly kind: 'network'; readonly error: string };

export { DEMO_TENANT_ID, TEST_THUMBPRINT as DEMO_THUMBPRINT } from '../../../support/certificates.ts';

/** What the test client reads of fetch. */
export type ClientFetch = (
  url: string,
  init: RequestInit,
) => Promise<Pick<Response, 'ok' | 'status' | 'text'>>;

export class MfaTestClient {
  token = '';

  /** `clock` dates the client assertions: the mock's clock, so they are valid when it checks them. */
  constructor(
    readonly baseUrl: string,
    readonly clock: Clock = new SystemClock(),
    /** The global fetch, or another client of the same API (the in-process one). */
    readonly fetchFn: ClientFetch = fetch,
  ) {}

  async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== '') headers['authorization'] = `Bearer ${this.token}`;
    let response: Awaited<ReturnType<ClientFetch>>;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, {
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

  /** A token for a client assertion signed with the test certificate. */
  async login(tenantId = DEMO_TENANT_ID): Promise<Reply<TokenResponse>> {
    const reply = await this.requestToken(tenantId, await this.assertion(tenantId));
    if (reply.kind === 'ok') this.token = reply.body.accessToken;
    return reply;
  }

  /** The token request a server with the test certificate would send to this tenant's endpoint. */
  async assertion(tenantId = DEMO_TENANT_ID, credential?: ClientCredential): Promise<TokenRequest> {
    const signer = credential ?? testCredential(this.clock, tenantId);
    try {
      const body = await signer.tokenRequest(`${this.baseUrl}${tokenPath(tenantId)}`);
      if ('error' in body) throw new Error(body.error);
      return body;
    } finally {
      if (credential === undefined) signer.close();
    }
  }

  requestToken(tenantId: string, body: unknown): Promise<Reply<TokenResponse>> {
    return this.call('POST', tokenPath(tenantId), body);
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
