// CloudMfa against a stub fetch: how it paces polls of a service that does not hold them, and how
// close() ends a wait in progress.
import { describe, expect, it } from 'vitest';
import { normaliseServerConfig } from '../../../reference/config/server-config.ts';
import type { DirectoryUser } from '../../../reference/directory/types.ts';
import { testCredential } from '../../support/certificates.ts';
import { CloudMfa } from '../../../reference/mfa/cloud-mfa.ts';
import type { MfaContext } from '../../../reference/mfa/second-factor.ts';
import { VirtualClock } from '../../../runtime/clock.ts';

const user: DirectoryUser = {
  dn: 'CN=Frank,DC=radmfa,DC=test',
  accountName: 'frank',
  userPrincipalName: 'frank@radmfa.test',
  groups: [],
  state: 'active',
  attributes: {},
};
const context: MfaContext = { user, method: 'pap', client: 'vpn' };

function settings(approvalTimeoutMs: number, extra: Record<string, unknown> = {}) {
  const result = normaliseServerConfig({
    clients: [{ address: '127.0.0.1', secret: 's' }],
    directory: { url: 'ldap://127.0.0.1:389' },
    mfa: {
      serviceUrl: 'https://mfa.test',
      tenantId: 't',
      certificates: { dir: 'test/fixtures/certificates' },
      approvalTimeoutMs,
      ...extra,
    },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config.mfa;
}

/** A service whose polls answer at once with "pending" (it ignores `wait`), or never (hang). */
function stubService(clock: VirtualClock, polls: 'immediate' | 'hang') {
  const calls: string[] = [];
  const json = (body: unknown, status = 200): Response =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetchStub: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    calls.push(url.pathname);
    if (url.pathname.startsWith('/sts/')) {
      return Promise.resolve(
        json({
          tokenType: 'Bearer',
          accessToken: 'tk',
          expiresInSeconds: 3600,
          expiresAt: clock.now() + 3_600_000,
        }),
      );
    }
    if (init?.method === 'POST') {
      return Promise.resolve(
        json(
          {
            sessionId: 's1',
            method: 'push',
            next: 'push_sent',
            status: 'pending',
            createdAt: 0,
            expiresAt: 180_000,
          },
          201,
        ),
      );
    }
    if (polls === 'hang') {
      return new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    }
    return Promise.resolve(
      json({
        sessionId: 's1',
        method: 'push',
        status: 'pending',
        final: false,
        createdAt: 0,
        expiresAt: 180_000,
        wrongCodes: 0,
      }),
    );
  };
  return { calls, fetch: fetchStub };
}

describe('CloudMfa lifecycle', () => {
  it('paces polls to at most one a second when the service answers them at once', async () => {
    const clock = new VirtualClock(0);
    const service = stubService(clock, 'immediate');
    const mfa = new CloudMfa({
      settings: settings(10_000),
      baseUrl: 'https://mfa.test',
      clock,
      credential: testCredential(clock, 't'),
      fetch: service.fetch,
    });
    let decision: unknown;
    void mfa.verify(context).then((d) => (decision = d));
    await clock.advance(10_500);
    expect(decision).toMatchObject({ kind: 'deny', reason: 'mfa-timeout' });
    const polls = service.calls.filter((p) => p === '/mfa/v1/authentications/s1').length;
    expect(polls).toBeGreaterThanOrEqual(9);
    expect(polls).toBeLessThanOrEqual(11);
  });

  it('close() ends a wait in progress: the login is dropped (no answer), nothing keeps waiting', async () => {
    const clock = new VirtualClock(0);
    const service = stubService(clock, 'hang');
    const mfa = new CloudMfa({
      settings: settings(90_000),
      baseUrl: 'https://mfa.test',
      clock,
      credential: testCredential(clock, 't'),
      fetch: service.fetch,
    });
    let decision: unknown;
    void mfa.verify(context).then((d) => (decision = d));
    await clock.advance(1_000);
    expect(decision).toBeUndefined();
    mfa.close();
    await clock.advance(0);
    expect(decision).toEqual({ kind: 'discard', reason: 'mfa-client-closed' });
    expect(clock.pendingCount).toBe(0);
  });

  it('IP_WHITELIST skips MFA for IPv4 and IPv6 NAS addresses (and CIDRs) without calling the service', async () => {
    const clock = new VirtualClock(0);
    const service = stubService(clock, 'immediate');
    const mfa = new CloudMfa({
      settings: settings(10_000, { IP_WHITELIST: ['10.0.0.1', '2001:db8::/32'] }),
      baseUrl: 'https://mfa.test',
      clock,
      credential: testCredential(clock, 't'),
      fetch: service.fetch,
    });
    expect(await mfa.verify({ ...context, nasIpAddress: '10.0.0.1' })).toEqual({
      kind: 'allow',
      reason: 'ip-whitelisted',
    });
    expect(await mfa.verify({ ...context, nasIpAddress: '2001:db8::7' })).toEqual({
      kind: 'allow',
      reason: 'ip-whitelisted',
    });
    expect(service.calls).toEqual([]);
  });
});
