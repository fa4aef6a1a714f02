import { readFileSync } from 'node:fs';
// Default imports, called at request time: an in-process msw patches the modules' request functions,
// which named imports of a built-in would not see.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isLoopbackHost } from '../config/mfa-cloud.ts';
import {
  parseResolveTarget,
  type MfaTransportSettings,
  type ResolveTarget,
} from '../config/mfa-transport-config.ts';

// The MFA client's HTTP(S): a fetch-shaped function over node:https, because the global fetch has no
// way to take a CA file, a TLS floor or a host -> address mapping without the undici package. The
// certificate is always verified (no switch turns that off); only the trust anchor is configurable.

/** What the MFA client reads of an answer: a fetch Response fits, and so does a plain in-process one. */
export type MfaAnswer = Pick<Response, 'status' | 'ok' | 'text' | 'arrayBuffer'>;

/** What callMfa needs of fetch; the global fetch and msw's fit it too. */
export type MfaFetch = (input: URL, init: RequestInit) => Promise<MfaAnswer>;

/** Why a TLS connection was refused, closed: the reason the server's logs and the tests name. */
export type TlsRefusal =
  | 'untrusted-certificate'
  | 'certificate-expired'
  | 'certificate-not-yet-valid'
  | 'hostname-mismatch'
  | 'protocol-version'
  | 'handshake-failed'
  | 'plain-http-refused';

const TLS_REFUSALS: Readonly<Record<string, TlsRefusal>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted-certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted-certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted-certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted-certificate',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted-certificate',
  CERT_SIGNATURE_FAILURE: 'untrusted-certificate',
  CERT_UNTRUSTED: 'untrusted-certificate',
  CERT_REJECTED: 'untrusted-certificate',
  INVALID_CA: 'untrusted-certificate',
  CERT_HAS_EXPIRED: 'certificate-expired',
  CERT_NOT_YET_VALID: 'certificate-not-yet-valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname-mismatch',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'protocol-version',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'protocol-version',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'protocol-version',
  ERR_SSL_WRONG_VERSION_NUMBER: 'protocol-version',
  ERR_MFA_PLAIN_HTTP_REFUSED: 'plain-http-refused',
};

/** OpenSSL's words for a protocol version the two sides do not share (reported as EPROTO). */
const PROTOCOL_VERSION = /protocol version|unsupported protocol|no protocols available|wrong version number/i;

/** The refusal behind a socket error, if it is a TLS (or plain-HTTP) refusal. */
export function tlsRefusalOf(code: string, message = ''): TlsRefusal | undefined {
  const known = TLS_REFUSALS[code];
  if (known !== undefined) return known;
  // A handshake the peer ended with an alert comes back as EPROTO with OpenSSL's text.
  if (code === 'EPROTO') return PROTOCOL_VERSION.test(message) ? 'protocol-version' : 'handshake-failed';
  return code.startsWith('ERR_SSL_') ? 'handshake-failed' : undefined;
}

export interface MfaTransportOptions {
  /** PEM trust anchors; undefined: Node's store (its Mozilla roots, NODE_EXTRA_CA_CERTS). */
  readonly ca?: string;
  readonly minTlsVersion: MfaTransportSettings['minTlsVersion'];
  readonly allowInsecureHttp: boolean;
  /** Lower-case host name -> where to connect (curl --resolve). */
  readonly resolve?: ReadonlyMap<string, ResolveTarget>;
}

export interface MfaTransport {
  readonly fetch: (input: URL, init: RequestInit) => Promise<Response>;
  /** Closes kept-alive connections. */
  close(): void;
}

/**
 * The transport the settings describe; reads the CA file (checked when the config was read). `ca`
 * (PEM) replaces the file: the embedded stack's run CA, which exists only in memory.
 */
export function mfaTransportFromSettings(settings: MfaTransportSettings, ca?: string): MfaTransport {
  const resolve = new Map<string, ResolveTarget>();
  for (const [host, value] of Object.entries(settings.resolve)) {
    const target = parseResolveTarget(value);
    if (target !== undefined) resolve.set(host.toLowerCase(), target);
  }
  return createMfaTransport({
    ...(ca !== undefined
      ? { ca }
      : settings.caFile !== undefined
        ? { ca: readFileSync(settings.caFile, 'utf8') }
        : {}),
    minTlsVersion: settings.minTlsVersion,
    allowInsecureHttp: settings.allowInsecureHttp,
    resolve,
  });
}

/** fetch reports network failures as TypeError("fetch failed") with the socket error as cause. */
function fetchFailed(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

function plainHttpRefused(host: string): TypeError {
  const cause = Object.assign(new Error(`plain HTTP to ${host} was not asked for (allowInsecureHttp)`), {
    code: 'ERR_MFA_PLAIN_HTTP_REFUSED',
  });
  return fetchFailed(cause);
}

function headersOf(init: RequestInit): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function toResponse(res: IncomingMessage, body: Buffer): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    headers.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '');
  }
  const status = res.statusCode ?? 502;
  const empty = status === 204 || status === 304 || body.length === 0;
  return new Response(empty ? null : body, { status, statusText: res.statusMessage ?? '', headers });
}

export function createMfaTransport(options: MfaTransportOptions): MfaTransport {
  const tls = {
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    minVersion: options.minTlsVersion,
    rejectUnauthorized: true,
  } as const;
  const httpsAgent = new https.Agent({ keepAlive: true, ...tls });
  const httpAgent = new http.Agent({ keepAlive: true });

  const fetchOne: MfaTransport['fetch'] = (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const secure = input.protocol === 'https:';
      const hostname = input.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      if (!secure && !options.allowInsecureHttp && !isLoopbackHost(hostname)) {
        reject(plainHttpRefused(hostname));
        return;
      }
      const mapped = options.resolve?.get(hostname);
      const port = mapped?.port ?? (input.port !== '' ? Number(input.port) : secure ? 443 : 80);
      const common = {
        host: mapped?.address ?? hostname,
        port,
        method: init.method ?? 'GET',
        path: `${input.pathname}${input.search}`,
        // The name, not the address it was mapped to: virtual hosting and the certificate both use it.
        headers: { ...headersOf(init), host: input.host },
        ...(init.signal !== undefined && init.signal !== null ? { signal: init.signal } : {}),
      };
      const onResponse = (res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(toResponse(res, Buffer.concat(chunks))));
        res.on('error', (error) => reject(fetchFailed(error)));
      };
      const req = secure
        ? https.request(
            {
              ...common,
              ...tls,
              agent: httpsAgent,
              // SNI and the certificate check use the host name even when connecting to a mapped address.
              ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
            },
            onResponse,
          )
        : http.request({ ...common, agent: httpAgent }, onResponse);
      req.on('error', (error) => reject(fetchFailed(error)));
      if (typeof init.body === 'string') req.end(init.body);
      else req.end();
    });

  return {
    fetch: fetchOne,
    close: () => {
      httpsAgent.destroy();
      httpAgent.destroy();
    },
  };
}
