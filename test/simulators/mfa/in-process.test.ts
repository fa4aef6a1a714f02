// The contract suite against the msw handlers in process: fetch is intercepted by msw/node.
import { setupServer } from 'msw/node';
import { afterAll, beforeAll } from 'vitest';
import { MfaTestClient } from './support/client.ts';
import { describeMfaContract } from './support/contract.ts';

const BASE_URL = 'https://mfa.radmfa.test';
const server = setupServer();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

describeMfaContract('in process, msw/node', (vm) => {
  server.resetHandlers(...vm.mock.handlers);
  return Promise.resolve({
    client: new MfaTestClient(BASE_URL, vm.clock),
    close: () => {
      server.resetHandlers();
      return Promise.resolve();
    },
  });
});
