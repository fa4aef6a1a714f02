// The only module that touches ldapjs (decommissioned upstream): it uses ldapjs 3.0.7 as an LDAP
// wire codec — BER parsing of requests, encoding of responses — and hands every request to the
// stub's own handlers in the stub's own types. Replacing ldapjs means rewriting this file only.
//
// ldapjs's routing is bypassed on purpose: it answers anonymous binds itself (success, with no
// hook), parses names it does not need to, and calls handlers only for DNs under a mounted suffix.
// The stub wants every bind and search, so the instance's handler-chain lookup is replaced.
import type { Socket } from 'node:net';
import ldapjs from 'ldapjs';
import type { DirectorySearchRequest, SearchResultEntry, SearchScope } from './directory.ts';
import type { LdapFilter } from './filter.ts';
import { LdapResultCode } from './result-codes.ts';

export interface WireBindRequest {
  readonly dn: string;
  readonly password: string;
}

export interface WireResult {
  readonly resultCode: number;
  readonly diagnosticMessage?: string;
  readonly matchedDn?: string;
}

export interface WireSearchResult extends WireResult {
  readonly entries: readonly SearchResultEntry[];
}

/** Returned by a handler that decided never to answer (the "hang" fault). */
export const NO_ANSWER = Symbol('no-answer');
export type NoAnswer = typeof NO_ANSWER;

export interface LdapRequestHandlers {
  bind(request: WireBindRequest, connectionId: number): Promise<WireResult | NoAnswer>;
  search(request: DirectorySearchRequest, connectionId: number): Promise<WireSearchResult | NoAnswer>;
  /** Add, modify, delete, modify DN, compare and extended operations. */
  other(operation: string, connectionId: number): Promise<WireResult | NoAnswer>;
  /** A request ldapjs could not decode; the connection is closed after this. */
  protocolError?(connectionId: number, message: string): void;
}

export interface LdapProtocolEngine {
  /** Serves LDAP on an accepted TCP socket. */
  accept(socket: Socket, connectionId: number): void;
}

// RFC 4511 protocolOp tags (APPLICATION class): BindRequest [0], UnbindRequest [2], SearchRequest
// [3], AbandonRequest [16]; constructed ones carry 0x20.
const OP_BIND = 0x60;
const OP_UNBIND = 0x42;
const OP_SEARCH = 0x63;
const OP_ABANDON = 0x50;

const OPERATION_NAMES: Readonly<Record<number, string>> = {
  0x66: 'modify',
  0x68: 'add',
  0x4a: 'delete',
  0x6c: 'modifyDN',
  0x6e: 'compare',
  0x77: 'extended',
};

/** The slice of ldapjs's request objects the engine reads; ldapjs's bundled typings predate v3. */
interface LdapjsRequest {
  readonly protocolOp: number;
  readonly connection: Socket;
  readonly dn?: unknown;
  readonly credentials?: unknown;
  readonly baseObject?: unknown;
  readonly scope?: unknown;
  readonly filter?: unknown;
  readonly attributes?: unknown;
  readonly sizeLimit?: unknown;
  readonly typesOnly?: unknown;
}

interface LdapjsResponse {
  diagnosticMessage: string;
  matchedDN: string;
  end(status?: number): void;
  send?(entry: unknown): void;
  createSearchEntry?(entry: {
    objectName: string;
    attributes: { type: string; values: string[] }[];
  }): unknown;
}

type Handler = (req: LdapjsRequest, res: LdapjsResponse, next: () => void) => void;

interface LdapjsServerInternals {
  newConnection(socket: Socket): void;
  _getHandlerChain(req: LdapjsRequest): { backend: unknown; handlers: Handler[] };
  on(event: 'error' | 'clientError', listener: (error: unknown) => void): void;
}

export function createLdapProtocolEngine(handlers: LdapRequestHandlers): LdapProtocolEngine {
  // ldapjs's default logger discards everything, which is what a library must do.
  const server = ldapjs.createServer() as unknown as LdapjsServerInternals;
  const connectionIds = new WeakMap<Socket, number>();
  const idOf = (socket: Socket): number => connectionIds.get(socket) ?? 0;

  // Parser failures arrive as 'error' events; an EventEmitter without a listener would throw.
  server.on('error', (error) => {
    handlers.protocolError?.(0, error instanceof Error ? error.message : String(error));
  });
  server.on('clientError', () => undefined);

  const dispatch: Handler = (req, res) => {
    const connectionId = idOf(req.connection);
    const answer = route(req, res, connectionId).catch((error: unknown) => {
      write(req.connection, () => {
        res.diagnosticMessage = error instanceof Error ? error.message : 'internal error';
        res.end(LdapResultCode.operationsError);
      });
    });
    void answer;
  };

  const route = async (req: LdapjsRequest, res: LdapjsResponse, connectionId: number): Promise<void> => {
    if (req.protocolOp === OP_BIND) {
      const result = await handlers.bind(
        { dn: dnText(req.dn), password: typeof req.credentials === 'string' ? req.credentials : '' },
        connectionId,
      );
      if (result !== NO_ANSWER) write(req.connection, () => endWith(res, result));
      return;
    }
    if (req.protocolOp === OP_SEARCH) {
      const result = await handlers.search(toSearchRequest(req), connectionId);
      if (result === NO_ANSWER) return;
      write(req.connection, () => {
        // A ready-made SearchResultEntry bypasses ldapjs's own attribute selection, which compares
        // requested names case-sensitively against lower-cased ones; the stub has already selected.
        for (const entry of result.entries) {
          const attributes = entry.attributes.map((attribute) => ({
            type: attribute.name,
            values: [...attribute.values],
          }));
          res.send?.(res.createSearchEntry?.({ objectName: entry.dn, attributes }));
        }
        endWith(res, result);
      });
      return;
    }
    const result = await handlers.other(
      OPERATION_NAMES[req.protocolOp] ?? `op-0x${req.protocolOp.toString(16)}`,
      connectionId,
    );
    if (result !== NO_ANSWER) write(req.connection, () => endWith(res, result));
  };

  const originalChain = server._getHandlerChain.bind(server);
  server._getHandlerChain = (req) => {
    // Unbind closes the connection and abandon has no response (RFC 4511 4.3, 4.11): ldapjs's own
    // handling of both is right.
    if (req.protocolOp === OP_UNBIND || req.protocolOp === OP_ABANDON) return originalChain(req);
    return { backend: server, handlers: [dispatch] };
  };

  return {
    accept(socket, connectionId) {
      connectionIds.set(socket, connectionId);
      server.newConnection(socket);
      guardParser(socket, (message) => handlers.protocolError?.(connectionId, message));
    },
  };
}

/** The stub's requests are a few hundred bytes; no request of a RADIUS server comes near this. */
const MAX_BUFFERED_REQUEST_BYTES = 1_048_576;

interface LdapjsParser {
  buffer: Buffer | null;
  write(data: Buffer): unknown;
}

/**
 * ldapjs 3.0.7's parser runs inside the socket's 'data' listener and can throw there (a BER length
 * of 0xffffffff reads as negative and fails an assertion), which would be an uncaught exception in
 * whatever process hosts the stub; and for a declared length it has not yet received it buffers
 * without limit. Either way the request cannot be answered: the connection is closed.
 */
function guardParser(socket: Socket, onProtocolError: (message: string) => void): void {
  const parser = (socket as Socket & { parser?: LdapjsParser }).parser;
  if (parser === undefined) return;
  const write = parser.write.bind(parser);
  const refuse = (message: string): void => {
    parser.buffer = null;
    parser.write = () => false;
    socket.destroy();
    onProtocolError(message);
  };
  parser.write = (data: Buffer): unknown => {
    try {
      const result = write(data);
      if (parser.buffer !== null && parser.buffer.length > MAX_BUFFERED_REQUEST_BYTES) {
        refuse(`request larger than ${MAX_BUFFERED_REQUEST_BYTES} bytes`);
      }
      return result;
    } catch (error) {
      refuse(error instanceof Error ? error.message : String(error));
      return false;
    }
  };
}

/** Writes only to a live socket: a connection reset by the "down" fault must not be written to. */
function write(socket: Socket, send: () => void): void {
  if (socket.destroyed || !socket.writable) return;
  send();
}

function endWith(res: LdapjsResponse, result: WireResult): void {
  res.diagnosticMessage = result.diagnosticMessage ?? '';
  res.matchedDN = result.matchedDn ?? '';
  res.end(result.resultCode);
}

/** ldapjs hands DNs over as strings (bind) or as its own DN objects (search base). */
function dnText(dn: unknown): string {
  if (typeof dn === 'string') return dn;
  if (dn !== null && typeof dn === 'object') {
    const printable = dn as { toString?: unknown };
    if (typeof printable.toString === 'function' && printable.toString !== Object.prototype.toString) {
      return (dn as { toString(): string }).toString();
    }
  }
  return '';
}

const SCOPES: Readonly<Record<number, SearchScope>> = { 0: 'base', 1: 'one', 2: 'sub' };

function toSearchRequest(req: LdapjsRequest): DirectorySearchRequest {
  const attributes = Array.isArray(req.attributes)
    ? req.attributes.filter((name): name is string => typeof name === 'string')
    : [];
  return {
    baseDn: dnText(req.baseObject),
    scope: (typeof req.scope === 'number' ? SCOPES[req.scope] : undefined) ?? 'base',
    filter: toFilter(req.filter, 0),
    attributes,
    sizeLimit: typeof req.sizeLimit === 'number' ? req.sizeLimit : 0,
    typesOnly: req.typesOnly === true,
  };
}

/**
 * ldapjs 3 re-parses every search filter from its own string form, so assertion values reach the
 * handler RFC 4515-escaped ("Zoë" arrives as "Zo\c3\ab", "*" as "\2a"). That string form always
 * escapes a backslash as \5c, so decoding every \XX pair gives back exactly the bytes sent.
 */
export function unescapeFilterValue(escaped: string): string {
  if (!escaped.includes('\\')) return escaped;
  const bytes: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    const pair = escaped.slice(i + 1, i + 3);
    if (escaped[i] === '\\' && /^[0-9A-Fa-f]{2}$/.test(pair)) {
      bytes.push(Number.parseInt(pair, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(escaped[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Bound on nesting, as in filter.ts. */
const MAX_FILTER_DEPTH = 64;
/** RFC 4526: an empty OR is FALSE, the stub's stand-in for a filter it cannot read. */
const NEVER_MATCHES: LdapFilter = { type: 'or', filters: [] };

function toFilter(value: unknown, depth: number): LdapFilter {
  if (depth > MAX_FILTER_DEPTH || value === null || typeof value !== 'object') return NEVER_MATCHES;
  const node = value as Record<string, unknown>;
  const attribute = typeof node.attribute === 'string' ? node.attribute : '';
  const text = (field: unknown): string => (typeof field === 'string' ? unescapeFilterValue(field) : '');
  const children = (): LdapFilter[] =>
    Array.isArray(node.clauses) ? node.clauses.map((clause: unknown) => toFilter(clause, depth + 1)) : [];
  switch (node.type) {
    case 'AndFilter':
      return { type: 'and', filters: children() };
    case 'OrFilter':
      return { type: 'or', filters: children() };
    case 'NotFilter':
      return { type: 'not', filter: toFilter(node.filter, depth + 1) };
    case 'PresenceFilter':
      return { type: 'present', attribute };
    case 'EqualityFilter':
      return { type: 'equality', attribute, value: text(node.value) };
    case 'ApproximateFilter':
      return { type: 'approx', attribute, value: text(node.value) };
    case 'GreaterThanEqualsFilter':
      return { type: 'greaterOrEqual', attribute, value: text(node.value) };
    case 'LessThanEqualsFilter':
      return { type: 'lessOrEqual', attribute, value: text(node.value) };
    case 'SubstringFilter': {
      const any = Array.isArray(node.any) ? node.any.map(text) : [];
      return {
        type: 'substrings',
        attribute,
        ...(typeof node.initial === 'string' && node.initial !== '' ? { initial: text(node.initial) } : {}),
        any,
        ...(typeof node.final === 'string' && node.final !== '' ? { final: text(node.final) } : {}),
      };
    }
    case 'ExtensibleFilter':
      return {
        type: 'extensible',
        ...(attribute === '' ? {} : { attribute }),
        ...(typeof node.matchingRule === 'string' && node.matchingRule !== ''
          ? { rule: node.matchingRule }
          : {}),
        value: text(node.value),
        dnAttributes: node.dnAttributes === true,
      };
    default:
      return NEVER_MATCHES;
  }
}
