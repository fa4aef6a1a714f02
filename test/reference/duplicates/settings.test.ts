import { describe, expect, it } from 'vitest';
import { duplicateKeyStrings } from '../../../reference/duplicates/key.ts';
import {
  describeDuplicateSettings,
  normaliseDuplicateSettings,
} from '../../../reference/duplicates/settings.ts';

describe('normaliseDuplicateSettings', () => {
  it('fills defaults per profile', () => {
    const cases = [
      ['nps', 10_000],
      ['rfc5080', 5_000],
      ['duo', 30_000],
      ['none', 0],
    ] as const;
    for (const [profile, windowMs] of cases) {
      const result = normaliseDuplicateSettings({ profile });
      expect(result.ok && result.settings.windowMs).toBe(windowMs);
    }
  });

  it('prefixes field names so the config layer can point into its own document', () => {
    const result = normaliseDuplicateSettings({ profile: 'nps', windowMs: 500 }, 'server.duplicates.');
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          path: 'server.duplicates.windowMs',
          message: '500 is outside what profile nps allows',
          fix: 'set a whole number of milliseconds from 1000 to 120000 (default 10000)',
        },
      ],
    });
  });

  it('describes itself in words', () => {
    const result = normaliseDuplicateSettings({ profile: 'rfc5080', windowMs: 7_000 });
    if (!result.ok) throw new Error('expected valid settings');
    expect(describeDuplicateSettings(result.settings)).toMatch(
      /^duplicates: rfc5080, replay for 7000 ms after the response \(each duplicate restarts the window\)/,
    );
  });
});

describe('duplicateKeyStrings', () => {
  const parts = {
    clientAddress: '2001:db8::1',
    clientPort: 1812,
    identifier: 200,
    requestAuthenticator: Buffer.alloc(16, 0xab),
  };

  it('builds a compact base and full key', () => {
    const { base, full } = duplicateKeyStrings(parts, false);
    expect(base).toBe('2001:db8::1|1812|200');
    expect(full).toBe(`2001:db8::1|1812|200|${Buffer.alloc(16, 0xab).toString('base64')}`);
  });

  it('reads a Uint8Array view at its offset', () => {
    const backing = new Uint8Array(40).fill(1);
    backing.fill(0xab, 10, 26);
    const view = backing.subarray(10, 26);
    expect(duplicateKeyStrings({ ...parts, requestAuthenticator: view }, false)).toEqual(
      duplicateKeyStrings(parts, false),
    );
  });

  it('never puts the password itself in the key', () => {
    const { full } = duplicateKeyStrings({ ...parts, userName: 'alice', userPassword: 'S3cret!' }, true);
    expect(full).not.toContain('S3cret');
    expect(full).not.toContain(Buffer.from('S3cret!').toString('base64'));
    expect(full.split('|')).toHaveLength(5);
  });
});
