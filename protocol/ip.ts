import { isIPv4, isIPv6 } from 'node:net';

// Address text <-> bytes, kept here because protocol/ must not depend on sockets.

export function ipv4ToBuffer(text: string): Buffer | undefined {
  if (!isIPv4(text)) return undefined;
  return Buffer.from(text.split('.').map((part) => Number(part)));
}

export function bufferToIpv4(bytes: Buffer): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

export function ipv6ToBuffer(text: string): Buffer | undefined {
  if (!isIPv6(text)) return undefined;
  let source = text;
  const out = Buffer.alloc(16);
  // An embedded dotted quad ("::ffff:1.2.3.4") occupies the last 32 bits.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(source);
  let tail: Buffer | undefined;
  if (dotted?.[1] !== undefined) {
    tail = ipv4ToBuffer(dotted[1]);
    source = source.slice(0, -dotted[1].length) + '0:0';
  }
  const [head = '', rest] = source.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(fill).fill('0'), ...restGroups];
  groups.forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  if (tail !== undefined) tail.copy(out, 12);
  return out;
}

/** RFC 5952 text form: lowercase, longest run of two or more zero groups compressed. */
export function bufferToIpv6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(i * 2 + 1 < bytes.length ? bytes.readUInt16BE(i * 2) : 0);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
