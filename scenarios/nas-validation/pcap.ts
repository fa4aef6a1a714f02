// The capture as a classic libpcap file for Wireshark and tshark, with secrets hidden.
//
// Written by hand rather than with a library: the classic format is a 24-octet file header and a
// 16-octet header per record (https://wiki.wireshark.org/Development/LibpcapFileFormat), and the
// packets need only an IPv4 or IPv6 header and a UDP header in front of the RADIUS datagram
// (LINKTYPE_RAW, 101: the record starts at the IP header, either version). The npm pcap writers
// either need libpcap bindings (a native build) or write only Ethernet frames; 80 lines here keep the
// dependency list as it is and the output byte-exact under test.
//
// Hiding keeps every length and replaces bytes, so the file still dissects: User-Password,
// CHAP-Password, CHAP-Challenge, Tunnel-Password and the MS-CHAP / MPPE vendor attributes become
// zeros; State becomes a digest of itself (an echoed State still shows as equal); Message-
// Authenticator becomes zeros (it would let anyone with the file test guesses of the shared secret);
// EAP-Message keeps its EAP header (code, identifier, length, type) and loses the rest.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Endpoint } from '../../runtime/transport.ts';

export const LINKTYPE_RAW = 101;
const PCAP_MAGIC = 0xa1b2c3d4;
const SNAPLEN = 65_535;
const RADIUS_HEADER = 20;

const ZEROED = new Set([2, 3, 60, 69, 80]); // User-Password, CHAP-Password, CHAP-Challenge, Tunnel-Password, Message-Authenticator
const STATE = 24;
const EAP_MESSAGE = 79;
const VENDOR_SPECIFIC = 26;
const MICROSOFT = 311;
// MS-CHAP-Response, MS-CHAP-Challenge, MS-MPPE-Send-Key, MS-MPPE-Recv-Key, MS-CHAP2-Response, MS-CHAP2-Success, MS-CHAP-MPPE-Keys
const MICROSOFT_HIDDEN = new Set([1, 11, 16, 17, 25, 26, 12]);

function digestFill(value: Buffer): Buffer {
  const hash = createHash('sha256').update(value).digest();
  const out = Buffer.alloc(value.length);
  for (let i = 0; i < out.length; i++) out[i] = hash[i % hash.length] ?? 0;
  return out;
}

/** The datagram with secrets replaced, same length. Octets past a framing error are zeroed too. */
export function redactDatagram(data: Buffer): Buffer {
  const out = Buffer.from(data);
  if (out.length < RADIUS_HEADER) return out;
  const end = Math.min(out.length, out.readUInt16BE(2));
  let eapHeaderKept = false;
  let offset = RADIUS_HEADER;
  while (offset + 2 <= end) {
    const type = out[offset] ?? 0;
    const length = out[offset + 1] ?? 0;
    if (length < 2 || offset + length > end) break;
    const value = offset + 2;
    const valueEnd = offset + length;
    if (ZEROED.has(type)) out.fill(0, value, valueEnd);
    else if (type === STATE) digestFill(out.subarray(value, valueEnd)).copy(out, value);
    else if (type === EAP_MESSAGE) {
      // The first fragment starts with code, identifier, length (and type, for requests/responses).
      out.fill(0, eapHeaderKept ? value : Math.min(valueEnd, value + 5), valueEnd);
      eapHeaderKept = true;
    } else if (type === VENDOR_SPECIFIC && length >= 6 && out.readUInt32BE(value) === MICROSOFT) {
      for (let sub = value + 4; sub + 2 <= valueEnd;) {
        const subType = out[sub] ?? 0;
        const subLength = out[sub + 1] ?? 0;
        if (subLength < 2 || sub + subLength > valueEnd) break;
        if (MICROSOFT_HIDDEN.has(subType)) out.fill(0, sub + 2, sub + subLength);
        sub += subLength;
      }
    }
    offset = valueEnd;
  }
  // Whatever could not be walked may hold anything: hide it.
  out.fill(0, offset, out.length);
  return out;
}

function checksum16(buffers: readonly Buffer[]): number {
  let sum = 0;
  for (const buffer of buffers) {
    for (let i = 0; i < buffer.length; i += 2) sum += ((buffer[i] ?? 0) << 8) + (buffer[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address it maps. */
const plain = (address: string): string => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const parts = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = parts(head);
  const t = address.includes('::') ? parts(tail) : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return out;
}

function udpHeader(from: Endpoint, to: Endpoint, payload: Buffer): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(from.port, 0);
  udp.writeUInt16BE(to.port, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  return udp;
}

/** IP + UDP + payload, as LINKTYPE_RAW wants it. */
export function ipPacket(from: Endpoint, to: Endpoint, payload: Buffer): Buffer {
  const src = plain(from.address);
  const dst = plain(to.address);
  const udp = udpHeader(from, to, payload);
  if (isIP(src) === 4 && isIP(dst) === 4) {
    const ip = Buffer.alloc(20);
    ip[0] = 0x45; // version 4, 5 words
    ip.writeUInt16BE(20 + udp.length + payload.length, 2);
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    Buffer.from(src.split('.').map(Number)).copy(ip, 12);
    Buffer.from(dst.split('.').map(Number)).copy(ip, 16);
    ip.writeUInt16BE(checksum16([ip]), 10);
    // UDP checksum 0: "not computed", allowed over IPv4 (RFC 768).
    return Buffer.concat([ip, udp, payload]);
  }
  const ip = Buffer.alloc(40);
  ip[0] = 0x60;
  ip.writeUInt16BE(udp.length + payload.length, 4);
  ip[6] = 17;
  ip[7] = 64;
  ipv6Bytes(src).copy(ip, 8);
  ipv6Bytes(dst).copy(ip, 24);
  // Over IPv6 the UDP checksum is mandatory (RFC 8200 8.1): pseudo-header + UDP header + payload.
  const pseudo = Buffer.alloc(40);
  ip.copy(pseudo, 0, 8, 40);
  pseudo.writeUInt32BE(udp.length + payload.length, 32);
  pseudo[39] = 17;
  const padded = payload.length % 2 === 0 ? payload : Buffer.concat([payload, Buffer.alloc(1)]);
  udp.writeUInt16BE(checksum16([pseudo, udp, padded]) || 0xffff, 6);
  return Buffer.concat([ip, udp, payload]);
}

export interface PcapRecord {
  /** Epoch ms. */
  readonly at: number;
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly data: Buffer;
}

/** A classic libpcap file (microsecond timestamps, LINKTYPE_RAW) of `records`, secrets hidden. */
export function pcapFile(records: readonly PcapRecord[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(PCAP_MAGIC, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(SNAPLEN, 16);
  header.writeUInt32LE(LINKTYPE_RAW, 20);
  const parts: Buffer[] = [header];
  for (const record of records) {
    const packet = ipPacket(record.from, record.to, redactDatagram(record.data));
    const recordHeader = Buffer.alloc(16);
    const micros = Math.round(record.at * 1000);
    recordHeader.writeUInt32LE(Math.floor(micros / 1_000_000), 0);
    recordHeader.writeUInt32LE(micros % 1_000_000, 4);
    recordHeader.writeUInt32LE(packet.length, 8);
    recordHeader.writeUInt32LE(packet.length, 12);
    parts.push(recordHeader, packet);
  }
  return Buffer.concat(parts);
}
