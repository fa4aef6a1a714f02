// The same contract suite with the same handlers served on a real loopback socket.
import { describeMfaContract } from './support/contract.ts';
import { MfaTestClient } from './support/client.ts';
import { serveMfaMock } from '../../../simulators/mfa/mock.ts';

describeMfaContract('over HTTP on 127.0.0.1', async (vm) => {
  const server = await serveMfaMock(vm.mock, { host: '127.0.0.1', port: 0 });
  return {
    client: new MfaTestClient(server.url, vm.clock),
    settled: () => server.settled(),
    close: () => server.close(),
  };
});
