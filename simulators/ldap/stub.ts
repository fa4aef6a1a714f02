// The LDAP directory stub: a fixture served over real TCP on loopback, answering binds and searches
// the way Active Directory does, with faults that can be switched on and off while it runs.
import { createServer, type Server, type Socket } from 'node:net';
import { SystemClock, type Clock } from '../../runtime/clock.ts';
import { ANONYMOUS, Directory, type BoundIdentity, type DirectorySearchRequest } from './directory.ts';
import { LdapStubError } from './errors.ts';
import {
  mergeFaults,
  NO_FAULTS,
  type LdapFaults,
  type LdapFaultsInput,
  type LdapOperationKind,
} from './faults.ts';
import { filterToString } from './filter.ts';
import {
  loadDirectoryFixture,
  validateDirectoryFixture,
  type DirectoryFixture,
  type DirectoryFixtureInput,
} from './fixture.ts';
import { LdapHistory, type LdapBindRecord, type LdapOtherRecord, type LdapSearchRecord } from './history.ts';
import {
  createLdapProtocolEngine,
  NO_ANSWER,
  type NoAnswer,
  type WireBindRequest,
  type WireResult,
  type WireSearchResult,
} from './ldapjs-server.ts';
import { LdapResultCode } from './result-codes.ts';

export interface LdapStubOptions {
  /** The directory: already validated, or raw input to validate. Give this or fixturePath. */
  readonly fixture?: DirectoryFixture | DirectoryFixtureInput;
  /** A YAML or JSON fixture file. */
  readonly fixturePath?: string;
  /** Default 127.0.0.1: the stub never listens beyond loopback unless told to. */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  /** Drives injected latency and account-expiry checks. Default: the system clock. */
  readonly clock?: Clock;
  /** Allow anonymous binds and searches (default false). */
  readonly allowAnonymous?: boolean;
  /** Faults active from the start. */
  readonly faults?: LdapFaultsInput;
}

export interface LdapStub {
  /** ldap://host:port */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly baseDn: string;
  readonly serviceAccount: { readonly dn: string; readonly password: string };
  readonly directory: Directory;
  readonly history: LdapHistory;
  /** Current faults. */
  readonly faults: LdapFaults;
  /** Connections accepted since start, and open now. */
  readonly connections: { readonly accepted: number; readonly open: number };
  /** Changes some faults; resolves once "down"/"up" has taken effect on the listener. */
  setFaults(faults: LdapFaultsInput): Promise<void>;
  clearFaults(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLdapStub(options: LdapStubOptions): Promise<LdapStub> {
  const fixture = await resolveFixture(options);
  const directory = new Directory(fixture, { allowAnonymous: options.allowAnonymous ?? false });
  const stub = new RunningLdapStub(
    directory,
    options.clock ?? new SystemClock(),
    options.host ?? '127.0.0.1',
  );
  await stub.listen(options.port ?? 0);
  if (options.faults !== undefined) await stub.setFaults(options.faults);
  return stub;
}

async function resolveFixture(options: LdapStubOptions): Promise<DirectoryFixture> {
  if (options.fixture !== undefined && options.fixturePath !== undefined) {
    throw new LdapStubError('LDAP_FIXTURE_INVALID', 'give either fixture or fixturePath, not both');
  }
  if (options.fixturePath !== undefined) return loadDirectoryFixture(options.fixturePath);
  if (options.fixture === undefined) {
    throw new LdapStubError('LDAP_FIXTURE_INVALID', 'a fixture (object) or fixturePath (file) is required');
  }
  return isValidated(options.fixture) ? options.fixture : validateDirectoryFixture(options.fixture);
}

function isValidated(fixture: DirectoryFixture | DirectoryFixtureInput): fixture is DirectoryFixture {
  return 'baseKind' in fixture && 'containers' in fixture;
}

interface ConnectionState {
  identity: BoundIdentity;
  readonly closed: Promise<void>;
}

class RunningLdapStub implements LdapStub {
  readonly history = new LdapHistory();
  private server: Server | undefined;
  private boundPort = 0;
  private currentFaults: LdapFaults = NO_FAULTS;
  private stopped = false;
  private accepted = 0;
  private readonly sockets = new Map<number, Socket>();
  private readonly states = new Map<number, ConnectionState>();
  private readonly engine = createLdapProtocolEngine({
    bind: (request, connectionId) => this.onBind(request, connectionId),
    search: (request, connectionId) => this.onSearch(request, connectionId),
    other: (operation, connectionId) => this.onOther(operation, connectionId),
  });

  constructor(
    readonly directory: Directory,
    private readonly clock: Clock,
    readonly host: string,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `ldap://${host}:${this.boundPort}`;
  }

  get baseDn(): string {
    return this.directory.baseDn;
  }

  get serviceAccount(): { readonly dn: string; readonly password: string } {
    return this.directory.serviceAccount;
  }

  get faults(): LdapFaults {
    return this.currentFaults;
  }

  get connections(): { readonly accepted: number; readonly open: number } {
    return { accepted: this.accepted, open: this.sockets.size };
  }

  async setFaults(input: LdapFaultsInput): Promise<void> {
    if (this.stopped) throw new LdapStubError('LDAP_STUB_STOPPED', 'setFaults after stop()');
    const previous = this.currentFaults;
    const next = mergeFaults(previous, input);
    this.currentFaults = next;
    if (next.down && !previous.down) await this.goDown();
    if (!next.down && previous.down) {
      try {
        await this.listen(this.boundPort);
      } catch (error) {
        // Still down: say so rather than claim a listener that does not exist.
        this.currentFaults = { ...next, down: true };
        throw error;
      }
    }
  }

  clearFaults(): Promise<void> {
    return this.setFaults({ latencyMs: 0, refuseBinds: null, hang: false, down: false });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.goDown();
  }

  /** Opens the listener; on "up" after "down" it reuses the port clients already know. */
  async listen(port: number): Promise<void> {
    const server = createServer((socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(
          new LdapStubError(
            'LDAP_STUB_LISTEN_FAILED',
            `cannot listen on ${this.host}:${port}: ${error.message}`,
            { cause: error },
          ),
        );
      };
      server.once('error', onError);
      server.listen({ host: this.host, port, exclusive: true }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const address = server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : port;
    this.server = server;
  }

  /** Stops accepting and resets open connections, as a crashed or unplugged directory would. */
  private async goDown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closing = [...this.states.values()].map((state) => state.closed);
    for (const socket of this.sockets.values()) socket.destroy();
    await Promise.all(closing);
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    if (this.currentFaults.down || this.stopped) {
      socket.destroy();
      return;
    }
    const connectionId = ++this.accepted;
    let markClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => {
      markClosed = resolve;
    });
    this.sockets.set(connectionId, socket);
    this.states.set(connectionId, { identity: ANONYMOUS, closed });
    socket.once('close', () => {
      this.sockets.delete(connectionId);
      this.states.delete(connectionId);
      markClosed();
    });
    this.engine.accept(socket, connectionId);
  }

  /** Applies the faults in force when a request arrived: hang, then latency. */
  private async delayOrHang(
    kind: LdapOperationKind,
    faults: LdapFaults,
    connectionId: number,
  ): Promise<boolean> {
    if (faults.hang.includes(kind)) {
      // Hold the request until its connection goes away; it is never answered.
      await (this.states.get(connectionId)?.closed ?? Promise.resolve());
      return false;
    }
    if (faults.latencyMs > 0) await this.clock.sleep(faults.latencyMs);
    return true;
  }

  private async onBind(request: WireBindRequest, connectionId: number): Promise<WireResult | NoAnswer> {
    const faults = this.currentFaults;
    const record = this.history.open<LdapBindRecord>({
      kind: 'bind',
      connectionId,
      receivedAt: this.clock.now(),
      dn: request.dn,
      failure: null,
    });
    const state = this.states.get(connectionId);
    // RFC 4511 4.2.1: a bind in progress leaves the connection anonymous until it succeeds.
    if (state !== undefined) state.identity = ANONYMOUS;
    if (!(await this.delayOrHang('bind', faults, connectionId))) return NO_ANSWER;
    let result: WireResult;
    if (faults.refuseBinds !== null) {
      record.failure = 'refused-by-fault';
      result = faults.refuseBinds;
    } else {
      const decision = this.directory.bind(request.dn, request.password, this.clock.now());
      if (decision.ok) {
        if (state !== undefined) state.identity = decision.identity;
        result = { resultCode: LdapResultCode.success };
      } else {
        record.failure = decision.reason;
        result = decision;
      }
    }
    record.resultCode = result.resultCode;
    record.answeredAt = this.clock.now();
    return result;
  }

  private async onSearch(
    request: DirectorySearchRequest,
    connectionId: number,
  ): Promise<WireSearchResult | NoAnswer> {
    const faults = this.currentFaults;
    const identity = this.states.get(connectionId)?.identity ?? ANONYMOUS;
    const record = this.history.open<LdapSearchRecord>({
      kind: 'search',
      connectionId,
      receivedAt: this.clock.now(),
      baseDn: request.baseDn,
      scope: request.scope,
      filter: filterToString(request.filter),
      attributes: [...request.attributes],
      boundAs: identity.kind === 'entry' ? identity.dn : null,
      entryDns: [],
    });
    if (!(await this.delayOrHang('search', faults, connectionId))) return NO_ANSWER;
    const result = this.directory.search(request, identity);
    record.entryDns = result.entries.map((entry) => entry.dn);
    record.resultCode = result.resultCode;
    record.answeredAt = this.clock.now();
    return result;
  }

  private async onOther(operation: string, connectionId: number): Promise<WireResult | NoAnswer> {
    const faults = this.currentFaults;
    const record = this.history.open<LdapOtherRecord>({
      kind: 'other',
      connectionId,
      receivedAt: this.clock.now(),
      operation,
    });
    if (!(await this.delayOrHang('other', faults, connectionId))) return NO_ANSWER;
    record.resultCode = LdapResultCode.unwillingToPerform;
    record.answeredAt = this.clock.now();
    return {
      resultCode: LdapResultCode.unwillingToPerform,
      diagnosticMessage: `radmfa ldap stub: ${operation} is not supported (the stub is read-only)`,
    };
  }
}
