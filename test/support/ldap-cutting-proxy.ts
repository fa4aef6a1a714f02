// A TCP proxy in front of an LDAP server that, when armed, cuts the client's connection (a reset) as
// soon as a SearchRequest arrives, without forwarding it: a domain controller or a middlebox dropping
// the connection mid-search. It reads just enough BER (RFC 4511 4.2: LDAPMessage is a SEQUENCE of
// messageID INTEGER and a protocolOp whose tag for SearchRequest is [APPLICATION 3], 0x63).
import { createServer, connect, type Server, type Socket } from 'node:net';

const SEARCH_REQUEST_TAG = 0x63;

export interface CuttingProxy {
  readonly url: string;
  /** Cut the next `times` connections that send a SearchRequest. */
  arm(times: number): void;
  /** Searches cut so far. */
  readonly cuts: number;
  /** Client connections open through the proxy now. */
  readonly open: number;
  close(): Promise<void>;
}

/** Length of a BER length field and its value at `at`, or undefined when not all there yet. */
function berLength(buf: Buffer, at: number): { value: number; size: number } | undefined {
  const first = buf[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return { value: first, size: 1 };
  const n = first & 0x7f;
  if (at + 1 + n > buf.length) return undefined;
  let value = 0;
  for (let i = 0; i < n; i++) value = value * 256 + (buf[at + 1 + i] ?? 0);
  return { value, size: 1 + n };
}

/** The protocolOp tags of every whole LDAPMessage in `buf`, and how many bytes they took. */
export function ldapOperations(buf: Buffer): { tags: number[]; consumed: number } {
  const tags: number[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf[at] !== 0x30) return { tags, consumed: buf.length }; // not LDAP: stop looking
    const len = berLength(buf, at + 1);
    if (len === undefined) break;
    const end = at + 1 + len.size + len.value;
    if (end > buf.length) break;
    const idAt = at + 1 + len.size; // messageID INTEGER
    const idLen = berLength(buf, idAt + 1);
    if (idLen !== undefined) tags.push(buf[idAt + 1 + idLen.size + idLen.value] ?? -1);
    at = end;
  }
  return { tags, consumed: at };
}

export async function startCuttingProxy(target: { host: string; port: number }): Promise<CuttingProxy> {
  let armed = 0;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = connect(target.port, target.host);
    let pending = Buffer.alloc(0);
    const end = (): void => {
      sockets.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const { tags, consumed } = ldapOperations(pending);
      const whole = pending.subarray(0, consumed);
      pending = pending.subarray(consumed);
      if (armed > 0 && tags.includes(SEARCH_REQUEST_TAG)) {
        armed--;
        cuts++;
        sockets.delete(client);
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      if (whole.length > 0) upstream.write(whole);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    url: `ldap://127.0.0.1:${address.port}`,
    arm: (times) => {
      armed = times;
    },
    get cuts() {
      return cuts;
    },
    get open() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
