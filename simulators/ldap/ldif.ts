// LDIF (RFC 2849) export of a directory fixture, for loading a real directory (slapadd, ldapadd)
// with exactly the entries the stub serves.
import { buildDirectoryEntries, type DirectoryEntry } from './entries.ts';
import type { DirectoryFixture } from './fixture.ts';

/** RFC 2849 SAFE-STRING: ASCII without NUL/CR/LF, not starting with space, ":" or "<", no trailing space. */
function isSafeString(value: string): boolean {
  if (value === '') return true;
  if (/^[ :<]/.test(value) || value.endsWith(' ')) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0 || code === 0x0a || code === 0x0d || code > 0x7f) return false;
  }
  return true;
}

function line(name: string, value: string): string {
  return isSafeString(value)
    ? `${name}: ${value}`
    : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

export function entriesToLdif(entries: readonly DirectoryEntry[]): string {
  const blocks = entries.map((entry) => {
    const lines = [line('dn', entry.dn)];
    for (const attribute of entry.attributes) {
      for (const value of attribute.values) lines.push(line(attribute.name, value));
    }
    return lines.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

/** Every entry of the fixture, parents first, as slapadd and ldapadd expect. */
export function directoryToLdif(fixture: DirectoryFixture): string {
  return entriesToLdif(buildDirectoryEntries(fixture));
}
