// The bounded LDAP connection pool: never more than `max` connections, waiters served first come
// first served, a bounded queue, waits that time out on the clock, broken connections replaced;
// then the LdapDirectory over the stub with more concurrent binds than connections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseServerConfig } from '../../../reference/config/server-config.ts';
import { ConnectionPool, type Acquired } from '../../../reference/directory/ldap-pool.ts';
import { LdapDirectory } from '../../../reference/directory/ldap-directory.ts';
import { SystemClock, VirtualClock, flushMicrotasks } from '../../../runtime/clock.ts';
import { startLdapStub, type LdapStub } from '../../../simulators/ldap/index.ts';
import { demoDirectoryFixture } from '../../../scenarios/embedded/defaults.ts';

class FakeConnection {
  closed = false;
  constructor(readonly id: number) {}
  unbind(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function pool(max: number, maxQueue = 10): { pool: ConnectionPool<FakeConnection>; clock: VirtualClock } {
  const clock = new VirtualClock(0);
  let next = 0;
  return {
    clock,
    pool: new ConnectionPool({ create: () => new FakeConnection(next++), max, maxQueue, clock }),
  };
}

function connectionOf(acquired: Acquired<FakeConnection>): FakeConnection {
  if (acquired.kind !== 'ok') throw new Error(`expected a connection, got ${acquired.kind}`);
  return acquired.connection;
}

describe('ConnectionPool', () => {
  it('opens at most max connections and reuses a released one', async () => {
    const { pool: p } = pool(2);
    const a = connectionOf(await p.acquire(1000));
    const b = connectionOf(await p.acquire(1000));
    expect(a.id).not.toBe(b.id);
    p.release(a, true);
    const c = connectionOf(await p.acquire(1000));
    expect(c.id).toBe(a.id);
    expect(p.stats()).toMatchObject({ open: 2, busy: 2, idle: 0, created: 2, acquired: 3, waited: 0 });
  });

  it('serves waiters in arrival order once connections come back, and counts the wait', async () => {
    const { pool: p, clock } = pool(1);
    const first = connectionOf(await p.acquire(1000));
    const order: number[] = [];
    const w1 = Promise.resolve(p.acquire(1000)).then((r) => (order.push(1), r));
    const w2 = Promise.resolve(p.acquire(1000)).then((r) => (order.push(2), r));
    expect(p.stats().waiting).toBe(2);
    await clock.advance(30);
    p.release(first, true);
    const got1 = connectionOf(await w1);
    expect(got1.id).toBe(first.id);
    p.release(got1, true);
    connectionOf(await w2);
    expect(order).toEqual([1, 2]);
    expect(p.stats()).toMatchObject({ open: 1, waited: 2, waitMsTotal: 60, created: 1, waiting: 0 });
  });

  it('a wait longer than the timeout ends as timeout, and the queue has a bound', async () => {
    const { pool: p, clock } = pool(1, 1);
    connectionOf(await p.acquire(1000));
    const waiting = p.acquire(100);
    expect(await p.acquire(100)).toEqual({ kind: 'queue-full' });
    await clock.advance(100);
    expect(await waiting).toEqual({ kind: 'timeout' });
    expect(p.stats()).toMatchObject({ timedOut: 1, rejected: 1, waiting: 0 });
  });

  it('a connection released as broken is closed and a fresh one goes to the next waiter', async () => {
    const { pool: p } = pool(1);
    const broken = connectionOf(await p.acquire(1000));
    const waiting = p.acquire(1000);
    p.release(broken, false);
    await flushMicrotasks();
    expect(broken.closed).toBe(true);
    const fresh = connectionOf(await waiting);
    expect(fresh.id).not.toBe(broken.id);
    expect(p.stats()).toMatchObject({ open: 1, discarded: 1, created: 2 });
  });

  it('close answers the waiters and closes the idle connections', async () => {
    const { pool: p } = pool(1);
    const held = connectionOf(await p.acquire(1000));
    const waiting = p.acquire(1000);
    const spare = pool(1).pool;
    const idle = connectionOf(await spare.acquire(1000));
    spare.release(idle, true);
    await spare.close();
    expect(idle.closed).toBe(true);
    await p.close();
    expect(await waiting).toEqual({ kind: 'closed' });
    p.release(held, true);
    expect(held.closed).toBe(true);
  });
});

describe('LdapDirectory bind pool against the LDAP stub', () => {
  let stub: LdapStub;
  let directory: LdapDirectory;

  beforeAll(async () => {
    stub = await startLdapStub({ fixturePath: demoDirectoryFixture });
    const result = normaliseServerConfig({
      clients: [{ address: '127.0.0.1', secret: 's' }],
      directory: {
        url: stub.url,
        bindDn: stub.serviceAccount.dn,
        bindPassword: stub.serviceAccount.password,
        baseDn: stub.baseDn,
        pool: { maxBindConnections: 3, searchConnections: 2 },
      },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    directory = new LdapDirectory({
      config: result.config.directory,
      url: stub.url,
      clock: new SystemClock(),
    });
  });

  afterAll(async () => {
    await directory?.close();
    await stub?.stop();
  });

  it('40 concurrent binds share 3 connections, every answer right', async () => {
    const alice = await directory.findUser('alice');
    if (alice.kind !== 'found') throw new Error(alice.kind);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        directory.bindAsUser(alice.user, i % 4 === 0 ? 'wrong' : 'Passw0rd!'),
      ),
    );
    expect(results.filter((r) => r === 'invalid-credentials')).toHaveLength(10);
    expect(results.filter((r) => r === 'ok')).toHaveLength(30);
    const stats = directory.stats();
    expect(stats.bind.created).toBe(3);
    expect(stats.bind.open).toBe(3);
    expect(stats.bind.waited).toBeGreaterThan(0);
    expect(stats.bind.acquired).toBe(40);
  });

  it('searches spread over the configured service connections', async () => {
    await Promise.all(['alice', 'bob', 'carol', 'dave'].map((name) => directory.findUser(name)));
    expect(directory.stats().search).toMatchObject({ connections: 2, max: 2 });
  });
});
