// One LDAP connection that speaks exactly what a login needs: simple binds and searches whose
// requests protocol/ldap encodes (a search from a template encoded once). Requests are multiplexed
// by message ID (RFC 4511 4.1.1.1); responses are decoded straight off the socket's chunks. It
// replaced ldapts on the login path because ldapts builds and parses each message through a general
// object model (a class per message and filter, a BerReader per message, a JSON.stringify of every
// request for its debug log even when that log is off), which cost more CPU per login than
// FreeRADIUS's whole rlm_ldap round; see the README (bench:server, PAP against one slapd).
//
// No timers here: the caller bounds each operation on its Clock and closes the connection when one
// runs out. Nothing here logs; a password is only ever written to the socket.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { LdapDecodeError, type LdapDecodeFailureCode } from '../../protocol/ldap/ber.ts';
import {
  NOTICE_OF_DISCONNECTION_OID,
  RESULT_CODE,
  LdapMessageFramer,
  encodeSimpleBindRequest,
  encodeUnbindRequest,
  nextMessageId,
  type LdapAttribute,
  type LdapResponse,
  type LdapResult,
} from '../../protocol/ldap/messages.ts';

/** Where the directory is, from an ldap:// or ldaps:// URL. */
export interface LdapTarget {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
}

export function ldapTarget(url: string): LdapTarget {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'ldaps:';
  if (!secure && parsed.protocol !== 'ldap:') throw new Error(`not an ldap:// or ldaps:// URL: ${url}`);
  // URL keeps an IPv6 literal's brackets in hostname; net.connect wants the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = parsed.port === '' ? (secure ? 636 : 389) : Number(parsed.port);
  return { secure, host, port };
}

/** Why an operation failed: the connection, the bytes on it, or the directory's answer. */
export type LdapFailure =
  | { readonly kind: 'connection'; readonly detail: string }
  | { readonly kind: 'protocol'; readonly code: LdapDecodeFailureCode; readonly detail: string }
  | { readonly kind: 'result'; readonly resultCode: number; readonly diagnostic: string };

export class LdapOperationError extends Error {
  constructor(readonly failure: LdapFailure) {
    super(describeFailure(failure));
    this.name = 'LdapOperationError';
  }

  /** The connection can no longer be used (as opposed to a result code on a healthy one). */
  get broken(): boolean {
    return this.failure.kind !== 'result';
  }

  get invalidCredentials(): boolean {
    return this.failure.kind === 'result' && this.failure.resultCode === RESULT_CODE.invalidCredentials;
  }
}

function describeFailure(failure: LdapFailure): string {
  switch (failure.kind) {
    case 'connection':
      return `connection: ${failure.detail}`;
    case 'protocol':
      return `undecodable response (${failure.code}): ${failure.detail}`;
    case 'result':
      return `result code ${failure.resultCode}${failure.diagnostic === '' ? '' : `: ${failure.diagnostic}`}`;
  }
}

export interface LdapEntry {
  readonly dn: string;
  readonly attributes: readonly LdapAttribute[];
}

export interface SearchOutcome {
  readonly entries: readonly LdapEntry[];
  /** sizeLimitExceeded (4): more entries matched than the request's sizeLimit. */
  readonly sizeLimitExceeded: boolean;
}

type Pending =
  | {
      readonly kind: 'bind';
      readonly resolve: () => void;
      readonly reject: (error: LdapOperationError) => void;
    }
  | {
      readonly kind: 'search';
      readonly resolve: (outcome: SearchOutcome) => void;
      readonly reject: (error: LdapOperationError) => void;
      readonly entries: LdapEntry[];
    };

export class LdapConnection {
  private lastMessageId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly framer = new LdapMessageFramer();
  private failure: LdapOperationError | undefined;
  private corked = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: Error) =>
      this.fail(new LdapOperationError({ kind: 'connection', detail: error.message })),
    );
    socket.on('end', () => socket.end());
    socket.on('close', () =>
      this.fail(new LdapOperationError({ kind: 'connection', detail: 'closed by the directory' })),
    );
  }

  /** Opens a TCP (or TLS, for ldaps://) connection without Nagle's algorithm. */
  static open(target: LdapTarget): Promise<LdapConnection> {
    return new Promise((resolve, reject) => {
      const socket = target.secure
        ? tlsConnect({
            host: target.host,
            port: target.port,
            ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
          })
        : netConnect(target.port, target.host);
      // With several searches outstanding on a connection, Nagle would hold each new one back until
      // the directory acknowledged the last; libldap (FreeRADIUS rlm_ldap) sets TCP_NODELAY too.
      socket.setNoDelay(true);
      const failed = (error: Error): void => {
        socket.destroy();
        reject(new LdapOperationError({ kind: 'connection', detail: error.message }));
      };
      socket.once('error', failed);
      socket.once(target.secure ? 'secureConnect' : 'connect', () => {
        socket.off('error', failed);
        resolve(new LdapConnection(socket));
      });
    });
  }

  get isOpen(): boolean {
    return this.failure === undefined;
  }

  /** Simple bind; resolves on success, rejects with the result code otherwise (49: wrong password). */
  bind(dn: string, password: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = this.send((messageId) => encodeSimpleBindRequest(messageId, dn, password));
      if (id !== undefined) this.pending.set(id, { kind: 'bind', resolve, reject });
      else reject(this.closedError());
    });
  }

  /** One search; `encode` gets the message ID. sizeLimitExceeded is an outcome, not an error. */
  search(encode: (messageId: number) => Buffer): Promise<SearchOutcome> {
    return new Promise((resolve, reject) => {
      const id = this.send(encode);
      if (id !== undefined) this.pending.set(id, { kind: 'search', resolve, reject, entries: [] });
      else reject(this.closedError());
    });
  }

  /**
   * Holds what is written in this turn of the event loop and sends it in one write when the turn
   * ends (a RADIUS burst read in one poll becomes one TCP segment, not one syscall a search).
   * setImmediate marks the end of the turn, not a time, so it does not go through the Clock.
   */
  corkForTurn(): void {
    if (this.corked || this.failure !== undefined) return;
    this.corked = true;
    this.socket.cork();
    setImmediate(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  /** UnbindRequest (RFC 4511 4.3), then the socket closed; pending operations fail. */
  close(): void {
    if (this.failure === undefined && this.socket.writable) {
      this.lastMessageId = nextMessageId(this.lastMessageId);
      this.socket.end(encodeUnbindRequest(this.lastMessageId));
    }
    this.fail(new LdapOperationError({ kind: 'connection', detail: 'closed by radmfa' }));
    this.socket.destroy();
  }

  private closedError(): LdapOperationError {
    return this.failure ?? new LdapOperationError({ kind: 'connection', detail: 'closed' });
  }

  private send(encode: (messageId: number) => Buffer): number | undefined {
    if (this.failure !== undefined) return undefined;
    this.lastMessageId = nextMessageId(this.lastMessageId);
    this.socket.write(encode(this.lastMessageId));
    return this.lastMessageId;
  }

  private onData(chunk: Buffer): void {
    try {
      this.framer.push(chunk, (response) => this.dispatch(response));
    } catch (error) {
      if (!(error instanceof LdapDecodeError)) throw error;
      this.fail(new LdapOperationError({ kind: 'protocol', code: error.code, detail: error.message }));
      this.socket.destroy();
    }
  }

  private dispatch(response: LdapResponse): void {
    if (response.messageId === 0) {
      // An unsolicited notification: the only one RFC 4511 defines says the server is closing.
      const notice = response.kind === 'extended-response' ? response : undefined;
      const detail =
        notice?.responseName === NOTICE_OF_DISCONNECTION_OID
          ? `notice of disconnection (result ${notice.result.resultCode}: ${notice.result.diagnosticMessage})`
          : `unsolicited ${response.kind}`;
      this.fail(new LdapOperationError({ kind: 'connection', detail }));
      this.socket.destroy();
      return;
    }
    const pending = this.pending.get(response.messageId);
    // An answer to nothing outstanding (a request already failed): nothing waits for it.
    if (pending === undefined) return;
    if (pending.kind === 'bind' && response.kind === 'bind-response') {
      this.pending.delete(response.messageId);
      if (response.result.resultCode === RESULT_CODE.success) pending.resolve();
      else pending.reject(resultError(response.result));
      return;
    }
    if (pending.kind === 'search') {
      if (response.kind === 'search-entry') {
        pending.entries.push({ dn: response.dn, attributes: response.attributes });
        return;
      }
      // Referrals are not chased (rlm_ldap: chase_referrals = no); the entries found stand.
      if (response.kind === 'search-reference') return;
      if (response.kind === 'search-done') {
        this.pending.delete(response.messageId);
        const { resultCode } = response.result;
        if (resultCode === RESULT_CODE.success || resultCode === RESULT_CODE.sizeLimitExceeded) {
          pending.resolve({
            entries: pending.entries,
            sizeLimitExceeded: resultCode === RESULT_CODE.sizeLimitExceeded,
          });
        } else pending.reject(resultError(response.result));
        return;
      }
    }
    this.fail(
      new LdapOperationError({
        kind: 'protocol',
        code: 'unsupported-operation',
        detail: `${response.kind} for a ${pending.kind} request`,
      }),
    );
    this.socket.destroy();
  }

  /** Marks the connection unusable and fails everything outstanding with the first reason. */
  private fail(error: LdapOperationError): void {
    if (this.failure === undefined) this.failure = error;
    const reason = this.failure;
    for (const pending of this.pending.values()) pending.reject(reason);
    this.pending.clear();
  }
}

function resultError(result: LdapResult): LdapOperationError {
  return new LdapOperationError({
    kind: 'result',
    resultCode: result.resultCode,
    diagnostic: result.diagnosticMessage,
  });
}
