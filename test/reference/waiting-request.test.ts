// reference/waiting-request.ts: a login that waits keeps copies of the bytes its answer needs,
// never a view into the datagram, and the same duplicate key its entry was opened with.
import { describe, expect, it } from 'vitest';
import { PacketCode, buildRequest, decodePacket } from '../../protocol/index.ts';
import { waitingKey, waitingPacket } from '../../reference/waiting-request.ts';

/** A request in an ArrayBuffer of its own, decoded in place (as the server's UDP socket hands it over). */
function request(): { datagram: Buffer; packet: ReturnType<typeof decoded> } {
  const built = buildRequest({
    code: PacketCode.AccessRequest,
    identifier: 9,
    secret: 'testing123',
    attributes: [
      { name: 'User-Name', value: 'alice' },
      { name: 'User-Password', value: 'alice-pw' },
      { name: 'Proxy-State', value: Buffer.from('first hop') },
      { name: 'Proxy-State', value: Buffer.from('second hop') },
    ],
  }).bytes;
  const datagram = Buffer.from(new ArrayBuffer(built.length));
  built.copy(datagram);
  return { datagram, packet: decoded(datagram) };
}

function decoded(datagram: Buffer) {
  const result = decodePacket(datagram, { adopt: true });
  if (!result.ok) throw new Error('the request did not decode');
  return result.value;
}

describe('what a waiting login keeps of its request', () => {
  it('copies the authenticator and every Proxy-State, and keeps Message-Authenticator as a stand-in', () => {
    const { datagram, packet } = request();
    const authenticator = Buffer.from(packet.authenticator);
    const kept = waitingPacket(packet, authenticator);
    expect(kept).toMatchObject({ code: PacketCode.AccessRequest, identifier: 9 });
    expect(kept.authenticator).toBe(authenticator);
    // Proxy-States in their order (RFC 2865 5.33), Message-Authenticator present; nothing else.
    expect(kept.attributes.map((a) => a.type)).toEqual([80, 33, 33]);
    expect(kept.attributes.filter((a) => a.type === 33).map((a) => a.value.toString())).toEqual([
      'first hop',
      'second hop',
    ]);
    for (const attribute of kept.attributes) expect(attribute.value.buffer).not.toBe(datagram.buffer);
    expect(kept.authenticator.buffer).not.toBe(datagram.buffer);
  });

  it('keeps the duplicate key, copying the password only for a profile that keys on it', () => {
    const { datagram, packet } = request();
    const password = packet.attributes.find((a) => a.type === 2)?.value;
    const key = {
      clientAddress: '192.0.2.1',
      clientPort: 40000,
      identifier: packet.identifier,
      requestAuthenticator: packet.authenticator,
      userName: 'alice',
      userPassword: password,
    };
    const authenticator = Buffer.from(packet.authenticator);
    const duo = waitingKey(key, authenticator, true);
    expect(duo).toMatchObject({
      clientAddress: '192.0.2.1',
      clientPort: 40000,
      identifier: 9,
      userName: 'alice',
    });
    expect(duo.requestAuthenticator).toBe(authenticator);
    expect(Buffer.from(duo.userPassword as Uint8Array).equals(password as Buffer)).toBe(true);
    expect((duo.userPassword as Uint8Array).buffer).not.toBe(datagram.buffer);
    expect(waitingKey(key, authenticator, false).userPassword).toBeUndefined();
  });
});
