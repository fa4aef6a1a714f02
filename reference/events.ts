import { EventEmitter } from 'node:events';
import type { DecodeFailureCode } from '../protocol/index.ts';
import type { Endpoint } from '../runtime/transport.ts';
import type { AuthMethod } from './methods.ts';

// The server never logs: it publishes these events and the command decides what becomes a log line,
// a metric or nothing. No payload carries a secret, a password or an MFA code.

export type DropReason =
  | DecodeFailureCode
  | 'unknown-client'
  | 'unexpected-code'
  | 'accounting-invalid'
  | 'directory-unavailable'
  | 'mfa-unavailable'
  | 'internal-error';

export type AccessOutcome = 'accept' | 'reject' | 'challenge';

export interface ServerEventMap {
  listening: { readonly auth: readonly Endpoint[]; readonly acct: readonly Endpoint[] };
  'packet-dropped': {
    readonly reason: DropReason;
    readonly from: Endpoint;
    readonly client?: string;
    readonly code?: number;
    readonly identifier?: number;
    readonly detail: string;
  };
  duplicate: {
    readonly action: 'discard' | 'replay';
    readonly reason: string;
    readonly from: Endpoint;
    readonly client: string;
    readonly identifier: number;
    readonly userName?: string;
    readonly duplicates: number;
  };
  access: {
    readonly outcome: AccessOutcome;
    /** Machine-readable why (e.g. `wrong-password`, `account-disabled`, `mfa-denied`, `REQUEST_MISSING_CODE`). */
    readonly reason: string;
    readonly client: string;
    readonly from: Endpoint;
    readonly identifier: number;
    readonly userName?: string;
    readonly method?: AuthMethod;
    readonly policy?: string;
    readonly durationMs: number;
    readonly mfa?: { readonly method?: string; readonly result: string; readonly durationMs?: number };
  };
  accounting: {
    readonly client: string;
    readonly statusType?: number;
    readonly sessionId?: string;
    readonly userName?: string;
    readonly stored: boolean;
    readonly duplicate: boolean;
  };
  'status-server': { readonly client: string; readonly from: Endpoint; readonly port: 'auth' | 'acct' };
  /** Conditions an operator must hear about (fail-open used, IP_WHITELIST without NAS-IP-Address). */
  warning: {
    readonly code: string;
    readonly message: string;
    readonly client?: string;
    readonly userName?: string;
  };
  /** A bug or an unexpected failure inside the server; the packet is dropped, the server goes on. */
  error: { readonly message: string; readonly stack?: string };
}

export type ServerEventName = keyof ServerEventMap;

/** A typed facade over EventEmitter, so listeners and emitters agree on payloads at compile time. */
export class ServerEvents {
  private readonly emitter = new EventEmitter();

  on<K extends ServerEventName>(event: K, listener: (payload: ServerEventMap[K]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<K extends ServerEventName>(event: K, listener: (payload: ServerEventMap[K]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  emit<K extends ServerEventName>(event: K, payload: ServerEventMap[K]): void {
    // A throwing listener must not take the packet path down with it.
    try {
      this.emitter.emit(event, payload);
    } catch {
      /* listeners are the caller's; their failures are theirs */
    }
  }
}
