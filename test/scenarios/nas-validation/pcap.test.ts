// The pcap writer: secrets replaced with lengths kept, State replaced by a digest (equal stays
// equal), headers a dissector accepts (tshark reads IPv4 and IPv6 records back as RADIUS).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildRequest, decodePacket } from '../../../protocol/index.ts';
import { requireTools } from '../../../peers/tools.ts';
import { pcapFile, redactDatagram } from '../../../scenarios/nas-validation/pcap.ts';

const SECRET = 'pcap-secret';

function request(state?: Buffer): Buffer {
  return buildRequest({
    code: 1,
    identifier: 7,
    secret: SECRET,
    attributes: [
      { name: 'User-Name', value: 'probe-code' },
      { name: 'User-Password', value: '123456' },
      ...(state !== undefined ? [{ name: 'State', value: state }] : []),
      { name: 'NAS-IP-Address', value: '127.0.0.1' },
    ],
    messageAuthenticator: true,
  }).bytes;
}

describe('pcap', () => {
  test('hiding keeps every length, zeroes User-Password and Message-Authenticator, digests State', () => {
    const state = Buffer.from('server-state-0123456789');
    const original = request(state);
    const hidden = redactDatagram(original);
    expect(hidden.length).toBe(original.length);
    const before = decodePacket(original);
    const after = decodePacket(hidden);
    if (!before.ok || !after.ok) throw new Error('decode failed');
    expect(after.value.attributes.map((a) => [a.type, a.value.length])).toEqual(
      before.value.attributes.map((a) => [a.type, a.value.length]),
    );
    const value = (type: number): Buffer | undefined =>
      after.value.attributes.find((a) => a.type === type)?.value;
    expect(value(2)?.every((b) => b === 0)).toBe(true);
    expect(value(80)?.every((b) => b === 0)).toBe(true);
    expect(value(24)?.equals(state)).toBe(false);
    // The same State hides to the same bytes: an echo still shows as an echo.
    const again = decodePacket(redactDatagram(request(state)));
    expect(
      again.ok &&
        again.value.attributes.find((a) => a.type === 24)?.value.equals(value(24) ?? Buffer.alloc(0)),
    ).toBe(true);
    expect(value(1)?.toString()).toBe('probe-code');
  });

  test('a datagram that does not frame is hidden past the point it stops framing', () => {
    const broken = Buffer.concat([request(), Buffer.from([1, 40, 0x41, 0x42])]);
    broken.writeUInt16BE(broken.length, 2);
    const hidden = redactDatagram(broken);
    expect(hidden.subarray(broken.length - 4).every((b) => b === 0)).toBe(true);
  });

  const tshark = requireTools(['tshark']);
  test.skipIf(!tshark.available)(
    'tshark reads IPv4 and IPv6 records back as RADIUS, nothing malformed',
    () => {
      const file = join(mkdtempSync(join(tmpdir(), 'radmfa-pcap-')), 'two.pcap');
      writeFileSync(
        file,
        pcapFile([
          {
            at: Date.UTC(2025, 0, 6, 9),
            from: { address: '127.0.0.1', port: 40000 },
            to: { address: '127.0.0.1', port: 1812 },
            data: request(),
          },
          {
            at: Date.UTC(2025, 0, 6, 9) + 1500,
            from: { address: '::1', port: 40001 },
            to: { address: '::1', port: 1812 },
            data: request(),
          },
        ]),
      );
      const out = execFileSync(
        'tshark',
        [
          '-r',
          file,
          '-o',
          'udp.check_checksum:TRUE',
          '-T',
          'fields',
          '-e',
          'ip.src',
          '-e',
          'ipv6.src',
          '-e',
          'radius.code',
          '-e',
          'udp.checksum.status',
          '-e',
          '_ws.malformed',
        ],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
      const rows = out
        .trim()
        .split('\n')
        .map((line) => line.split('\t'));
      expect(rows.map((r) => [r[0], r[1], r[2], r[4] ?? ''])).toEqual([
        ['127.0.0.1', '', '1', ''],
        ['', '::1', '1', ''],
      ]);
      // The IPv6 record carries a correct UDP checksum (Wireshark's status 1: good, 0: bad).
      expect(rows[1]?.[3]).toBe('1');
    },
  );
});
