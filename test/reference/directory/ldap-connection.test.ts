// LdapConnection against a scripted directory over real TCP: what a login needs when responses come
// cut into pieces, when the bytes are not LDAP, and when the directory announces it is closing; and
// LdapDirectory over such a directory (one fresh try, then unavailable with the closed reason).
import { createServer, type Server, type Socket } from 'node:net';
import { BerWriter } from 'ldapts';
import { afterEach, describe, expect, it } from 'vitest';
import { normaliseServerConfig } from '../../../reference/config/server-config.ts';
import {
  LdapConnection,
  LdapOperationError,
  ldapTarget,
} from '../../../reference/directory/ldap-connection.ts';
import { LdapDirectory } from '../../../reference/directory/ldap-directory.ts';
import { SystemClock } from '../../../runtime/clock.ts';
import { ldaptsMessage as message } from '../../support/ldapts-message.ts';

function result(code: number, diagnostic = ''): (w: BerWriter) => void {
  return (w) => {
    w.writeEnumeration(code);
    w.writeString('');
    w.writeString(diagnostic);
  };
}

/** Where the messageID starts in the first LDAPMessage of `data`. */
function idOffset(data: Buffer): number {
  return data[1]! < 0x80 ? 2 : 2 + (data[1]! & 0x7f);
}

/** The message ID of the first LDAPMessage in `data`. */
function requestId(data: Buffer): number {
  const at = idOffset(data);
  return data.readUIntBE(at + 2, data[at + 1]!);
}

/** The protocolOp tag of the first LDAPMessage in `data` (0x60 bind, 0x63 search). */
function requestOp(data: Buffer): number {
  const at = idOffset(data);
  return data[at + 2 + data[at + 1]!]!;
}

type Script = (request: Buffer, socket: Socket) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function scripted(script: Script): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.on('data', (data) => script(data, socket));
    socket.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `ldap://127.0.0.1:${address.port}`, connections: () => connections };
}

const entry = (id: number): Buffer =>
  message(id, 0x64, (w) => {
    w.writeString('CN=Alice,DC=x');
    w.startSequence();
    w.startSequence();
    w.writeString('sAMAccountName');
    w.startSequence(0x31);
    w.writeString('alice');
    w.endSequence();
    w.endSequence();
    w.endSequence();
  });

describe('LdapConnection', () => {
  it('a search answered one octet per write still yields its entry', async () => {
    const { url } = await scripted((request, socket) => {
      const id = requestId(request);
      const answer = Buffer.concat([entry(id), message(id, 0x65, result(0))]);
      socket.setNoDelay(true);
      let at = 0;
      const next = (): void => {
        if (at >= answer.length) return;
        socket.write(answer.subarray(at, at + 1), next);
        at++;
      };
      next();
    });
    const connection = await LdapConnection.open(ldapTarget(url));
    try {
      const outcome = await connection.search((id) => message(id, 0x63, (w) => w.writeString('ignored')));
      expect(outcome.sizeLimitExceeded).toBe(false);
      expect(outcome.entries).toEqual([
        { dn: 'CN=Alice,DC=x', attributes: [{ type: 'sAMAccountName', values: ['alice'] }] },
      ]);
    } finally {
      connection.close();
    }
  });

  it('bytes that are not LDAP fail the search with a closed code and close the connection', async () => {
    const { url } = await scripted((_request, socket) =>
      socket.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n')),
    );
    const connection = await LdapConnection.open(ldapTarget(url));
    const failed = await connection.search(() => Buffer.from([0x30, 0x00])).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(LdapOperationError);
    expect((failed as LdapOperationError).failure).toMatchObject({
      kind: 'protocol',
      code: 'unexpected-tag',
    });
    expect(connection.isOpen).toBe(false);
  });

  it("a Notice of Disconnection fails what is outstanding as the connection's loss", async () => {
    const { url } = await scripted((_request, socket) =>
      socket.write(
        message(0, 0x78, (w) => {
          result(52, 'going down')(w);
          w.writeString('1.3.6.1.4.1.1466.20036', 0x8a);
        }),
      ),
    );
    const connection = await LdapConnection.open(ldapTarget(url));
    const failed = await connection.bind('CN=a', 'secret-pw').catch((error: unknown) => error);
    expect((failed as LdapOperationError).failure).toEqual({
      kind: 'connection',
      detail: 'notice of disconnection (result 52: going down)',
    });
    expect((failed as Error).message).not.toContain('secret-pw');
    expect(connection.isOpen).toBe(false);
  });

  it('a refused connection is a connection failure', async () => {
    const { url } = await scripted(() => undefined);
    const server = servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    const failed = await LdapConnection.open(ldapTarget(url)).catch((error: unknown) => error);
    expect((failed as LdapOperationError).failure.kind).toBe('connection');
  });
});

describe('LdapDirectory over a directory that answers garbage', () => {
  it('one fresh connection is tried, then the login is unavailable, naming the decode failure', async () => {
    const { url, connections } = await scripted((request, socket) => {
      const id = requestId(request);
      // Binds (the service account's) succeed; every search gets bytes that are not an LDAPMessage.
      if (requestOp(request) === 0x60) socket.write(message(id, 0x61, result(0)));
      else socket.write(Buffer.from([0x04, 0x00]));
    });
    const normalised = normaliseServerConfig({
      clients: [{ address: '127.0.0.1', secret: 's' }],
      directory: {
        url,
        bindDn: 'CN=svc',
        bindPassword: 'svc-pw',
        baseDn: 'DC=x',
        pool: { searchConnections: 1 },
      },
    });
    if (!normalised.ok) throw new Error(JSON.stringify(normalised.issues));
    const directory = new LdapDirectory({
      config: normalised.config.directory,
      url,
      clock: new SystemClock(),
    });
    try {
      const found = await directory.findUser('alice');
      expect(found.kind).toBe('unavailable');
      expect(found.kind === 'unavailable' ? found.reason : '').toContain(
        'undecodable response (unexpected-tag)',
      );
      expect(connections()).toBe(2);
    } finally {
      await directory.close();
    }
  });
});
