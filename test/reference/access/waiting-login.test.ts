// A login waiting on its second factor (seconds to minutes, 10,000 of them at once in bench:pending)
// keeps neither its request's decoded attributes, and through them the datagram, nor the password:
// only what its answer needs. Checked with WeakRefs and a forced collection while the wait is open.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PacketCode, buildRequest, decodeAttributes, decodePacket } from '../../../protocol/index.ts';
import { AccessHandler } from '../../../reference/access/access-handler.ts';
import type { AccessResult } from '../../../reference/access/result.ts';
import type { RadiusClient } from '../../../reference/clients.ts';
import { normaliseServerConfig, type ClientConfig } from '../../../reference/config/server-config.ts';
import type { MfaContext, MfaDecision, SecondFactor } from '../../../reference/mfa/second-factor.ts';
import type { MaybePromise } from '../../../reference/maybe-async.ts';
import { VirtualClock } from '../../../runtime/clock.ts';
import { formatIssues } from '../../../runtime/validation/index.ts';
import { MemoryDirectory } from '../../support/memory-directory.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SECRET = 'testing123';

/**
 * A push nobody answers yet: verify() settles only when the test says so, and (as a real MFA client
 * does, from its poll) holds the means to settle it meanwhile; `asked` resolves when it was called.
 */
class Unanswered implements SecondFactor {
  private onAsked: () => void = () => {};
  readonly asked = new Promise<void>((resolve) => (this.onAsked = resolve));
  readonly waiting: ((decision: MfaDecision) => void)[] = [];
  verify(_context: MfaContext): Promise<MfaDecision> {
    this.onAsked();
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  submitCode(): Promise<MfaDecision> {
    return new Promise(() => {});
  }
}

function handlerWith(secondFactor: SecondFactor): {
  handler: AccessHandler;
  client: RadiusClient;
} {
  const normalised = normaliseServerConfig({
    clients: [{ name: 'vpn', address: '127.0.0.1', secret: SECRET }],
    directory: { url: 'ldap://127.0.0.1:389' },
    mfa: {
      enabled: true,
      serviceUrl: 'http://127.0.0.1:9',
      tenantId: 'test-tenant',
      certificates: { dir: 'test/fixtures/certificates' },
    },
  });
  if (!normalised.ok) throw new Error(formatIssues(normalised.issues));
  const clock = new VirtualClock(1_700_000_000_000);
  const directory = new MemoryDirectory({ clock, users: [{ name: 'alice', password: 'alice-pw' }] });
  const handler = new AccessHandler({ config: normalised.config, directory, clock, secondFactor });
  return { handler, client: clientOf(normalised.config.clients[0]) };
}

function clientOf(config: ClientConfig | undefined): RadiusClient {
  if (config === undefined) throw new Error('no client configured');
  return { ...config, prefix: 32 };
}

/** Starts a PAP login and hands back WeakRefs to what the request held; nothing else keeps them. */
function startLogin(
  handler: AccessHandler,
  client: RadiusClient,
): { result: MaybePromise<AccessResult>; attributes: WeakRef<object>; datagram: WeakRef<object> } {
  const datagram = buildRequest({
    code: PacketCode.AccessRequest,
    identifier: 7,
    secret: SECRET,
    attributes: [
      { name: 'User-Name', value: 'alice' },
      { name: 'User-Password', value: 'alice-pw' },
    ],
  }).bytes;
  const decoded = decodePacket(datagram);
  if (!decoded.ok) throw new Error('the request did not decode');
  const packet = decoded.value;
  const attributes = decodeAttributes(packet.attributes, {
    secret: SECRET,
    requestAuthenticator: packet.authenticator,
  });
  const result = handler.handle({ packet, attributes, client });
  return { result, attributes: new WeakRef(attributes), datagram: new WeakRef(datagram) };
}

describe('a login waiting on its second factor', () => {
  it('keeps neither its decoded attributes (with the password) nor its datagram', async () => {
    const factor = new Unanswered();
    const { handler, client } = handlerWith(factor);
    const login = startLogin(handler, client);
    await factor.asked;
    // WeakRefs hold their target to the end of the job that made them: collect after it.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(login.result).toBeInstanceOf(Promise);
    expect(login.attributes.deref()).toBeUndefined();
    expect(login.datagram.deref()).toBeUndefined();
    // It is still waiting, and answers as it would have.
    expect(factor.waiting).toHaveLength(1);
    factor.waiting[0]?.({ kind: 'allow', reason: 'mfa-approved' });
    await expect(login.result).resolves.toMatchObject({ kind: 'accept' });
    handler.close();
  });
});
