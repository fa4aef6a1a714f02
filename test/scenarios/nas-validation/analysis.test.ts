// The analysis over hand-made packets: what only a misbehaving NAS does, which no simulator profile
// produces (a modified State, a challenge taken as final).
import { describe, expect, test } from 'vitest';
import { analyse } from '../../../scenarios/nas-validation/analysis.ts';
import type { PacketView } from '../../../scenarios/nas-validation/packets.ts';
import { PROBE_USERS } from '../../../scenarios/nas-validation/probe.ts';

let auth = 0;
function request(at: number, identifier: number, extra: Partial<PacketView> = {}): PacketView {
  auth++;
  return {
    at,
    server: 'primary',
    direction: 'from-nas',
    port: 'auth',
    nas: '192.0.2.10',
    nasPort: 5000,
    length: 60,
    code: 1,
    identifier,
    authenticator: auth.toString(16).padStart(32, '0'),
    attributeNames: ['Message-Authenticator', 'User-Name', 'User-Password', 'NAS-IP-Address'],
    messageAuthenticator: 'first',
    userName: 'probe-code',
    auth: 'pap',
    nasIpAddress: '192.0.2.10',
    ...extra,
  };
}

function reply(at: number, identifier: number, code: number, stateDigest?: string): PacketView {
  return {
    at,
    server: 'primary',
    direction: 'to-nas',
    port: 'auth',
    nas: '192.0.2.10',
    nasPort: 5000,
    length: 40,
    code,
    identifier,
    authenticator: 'f'.repeat(32),
    attributeNames: [],
    messageAuthenticator: 'first',
    auth: 'none',
    ...(stateDigest !== undefined ? { stateDigest } : {}),
  };
}

const challengeVerdict = (packets: PacketView[]): string | undefined =>
  analyse({ packets, prompts: [], users: PROBE_USERS, secondary: false }).nas[0]?.checks.find(
    (c) => c.id === 'challenge-handling',
  )?.verdict;

describe('Access-Challenge handling', () => {
  test('State echoed unmodified with the code in User-Password passes', () => {
    expect(
      challengeVerdict([
        request(0, 1),
        reply(10, 1, 11, 'aaaa'),
        request(5000, 2, { stateDigest: 'aaaa' }),
        reply(5010, 2, 2),
      ]),
    ).toBe('pass');
  });
  test('a modified State fails', () => {
    expect(
      challengeVerdict([request(0, 1), reply(10, 1, 11, 'aaaa'), request(5000, 2, { stateDigest: 'bbbb' })]),
    ).toBe('fail');
  });
  test('no answer to the challenge fails: the NAS took it as final', () => {
    expect(challengeVerdict([request(0, 1), reply(10, 1, 11, 'aaaa')])).toBe('fail');
  });
  test('the answer without State fails', () => {
    expect(challengeVerdict([request(0, 1), reply(10, 1, 11, 'aaaa'), request(5000, 2)])).toBe('fail');
  });
});

describe('NAS identification and Message-Authenticator', () => {
  test('neither NAS-IP-Address nor NAS-Identifier fails RFC 2865 4.1; Message-Authenticator not first warns', () => {
    const bare = request(0, 1, { messageAuthenticator: 'present' });
    const { nasIpAddress: _omitted, ...withoutIp } = bare;
    const [nas] = analyse({ packets: [withoutIp], prompts: [], users: PROBE_USERS, secondary: false }).nas;
    expect(nas?.messageAuthenticator).toBe('present');
    expect(nas?.checks.find((c) => c.id === 'nas-identification')?.verdict).toBe('fail');
    expect(nas?.checks.find((c) => c.id === 'message-authenticator')?.verdict).toBe('warn');
  });
});
