// The contract suite against the in-process fetch the embedded stacks give the reference server's
// MFA client (scenarios/embedded/stacks.ts inProcessFetch): the mock's route table through the
// direct router, no fetch Request or Response built. The mock's msw handlers are taken away, so a
// call that went through msw instead would find no endpoint and fail the suite.
import { describe, expect, it } from 'vitest';
import { inProcessFetch } from '../../../scenarios/embedded/stacks.ts';
import type { MfaMock } from '../../../simulators/mfa/index.ts';
import { MfaTestClient, type ClientFetch } from './support/client.ts';
import { describeMfaContract } from './support/contract.ts';
import { virtualDemoMock } from './support/harness.ts';

const BASE_URL = 'https://mfa.radmfa.test';

function directFetch(mock: MfaMock): ClientFetch {
  const viaMock = inProcessFetch({ ...mock, handlers: [] });
  return (url, init) => viaMock(new URL(url), init);
}

describeMfaContract('in process, direct router', (vm) =>
  Promise.resolve({
    client: new MfaTestClient(BASE_URL, vm.clock, directFetch(vm.mock)),
    close: () => Promise.resolve(),
  }),
);

describe('in-process MFA fetch', () => {
  it('answers a path no route serves through msw: 404 no such endpoint', async () => {
    const vm = await virtualDemoMock();
    try {
      const client = new MfaTestClient(BASE_URL, vm.clock, directFetch(vm.mock));
      const reply = await client.call('GET', '/nowhere');
      expect(reply).toMatchObject({ kind: 'error', status: 404 });
      expect(reply.kind === 'error' && reply.body.error.code).toBe('REQUEST_FORMAT_ERROR');
    } finally {
      vm.mock.dispose();
    }
  });
});
