// The personality presets as configuration: `personality` selects a row of the preset table, every
// value the file sets wins over the row, the resolved ServerConfig holds plain settings, and bad
// combinations are named with their fix. The README prints the same table.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  PRESET_KEYS,
  personalities,
  personalityNames,
  personalityTableMarkdown,
  presetFields,
  type PersonalityName,
  type PersonalityValues,
} from '../../../reference/config/personality.ts';
import { normaliseServerConfig, type ServerConfig } from '../../../reference/config/server-config.ts';

const base = {
  clients: [{ name: 'vpn', address: '127.0.0.1', secret: 'testing123' }],
  directory: { url: 'ldap://127.0.0.1:389' },
};

function config(extra: Record<string, unknown>): ServerConfig {
  const result = normaliseServerConfig({ ...base, ...extra });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

function issuesOf(extra: Record<string, unknown>): unknown {
  const result = normaliseServerConfig({ ...base, ...extra });
  return result.ok ? [] : result.issues;
}

/** What the server reads, put back in the preset table's terms. */
function presetView(c: ServerConfig): PersonalityValues {
  return {
    duplicateProfile: c.duplicates.profile.name,
    duplicateWindowMs: c.duplicates.windowMs,
    dropPolicyAttributesAfterChallenge: c.npsCompat.dropPolicyAttributesAfterChallenge,
    rejectDelayMs: c.rejectDelayMs,
    statusServer: c.statusServer,
    replyMessageAuthenticator: c.replies.messageAuthenticator,
    codePrompt: c.replies.codePrompt,
    rejectMessage: c.replies.rejectMessage ?? null,
  };
}

describe('personality presets', () => {
  it('nps is the default personality', () => {
    const c = config({});
    expect(c.personality).toBe('nps');
    expect(presetView(c)).toEqual(personalities.nps.values);
  });

  it.each(personalityNames)('%s resolves into plain settings, every value from its row', (name) => {
    const c = config({ personality: name });
    expect(c.personality).toBe(name);
    expect(c.personalityOverrides).toEqual([]);
    expect(presetView(c)).toEqual(personalities[name].values);
  });

  it('the rows differ where the servers differ (values named here, not read from the table)', () => {
    expect(presetView(config({ personality: 'nps' }))).toMatchObject({
      duplicateProfile: 'nps',
      duplicateWindowMs: 10_000,
      dropPolicyAttributesAfterChallenge: true,
      rejectDelayMs: 0,
      replyMessageAuthenticator: 'always',
    });
    expect(presetView(config({ personality: 'freeradius' }))).toMatchObject({
      duplicateProfile: 'rfc5080',
      duplicateWindowMs: 5_000,
      dropPolicyAttributesAfterChallenge: false,
      rejectDelayMs: 1_000,
      statusServer: 'answer',
      replyMessageAuthenticator: 'with-eap',
    });
    expect(presetView(config({ personality: 'duo' }))).toMatchObject({
      duplicateProfile: 'duo',
      duplicateWindowMs: 30_000,
      statusServer: 'ignore',
      codePrompt: 'Duo two-factor login for {user}\n\nEnter a passcode',
    });
  });

  it('every preset value has a source, and every "assumed" one says so in words', () => {
    for (const name of personalityNames) {
      for (const field of presetFields) {
        expect(personalities[name].sources[field].length, `${name}.${field}`).toBeGreaterThan(20);
      }
    }
  });

  it.each(personalityNames)('%s: every value the file sets wins over the preset', (name: PersonalityName) => {
    const c = config({
      personality: name,
      duplicates: { profile: 'rfc5080', windowMs: 7_000 },
      rejectDelayMs: 2_500,
      statusServer: 'ignore',
      replies: { messageAuthenticator: 'when-requested', codePrompt: 'Code for {user}', rejectMessage: 'No' },
      npsCompat: { dropPolicyAttributesAfterChallenge: false },
    });
    expect(presetView(c)).toEqual({
      duplicateProfile: 'rfc5080',
      duplicateWindowMs: 7_000,
      dropPolicyAttributesAfterChallenge: false,
      rejectDelayMs: 2_500,
      statusServer: 'ignore',
      replyMessageAuthenticator: 'when-requested',
      codePrompt: 'Code for {user}',
      rejectMessage: 'No',
    });
    expect([...c.personalityOverrides].sort()).toEqual([...presetFields].sort());
  });

  it('a profile named in the file keeps its own default window, not the personality window', () => {
    const c = config({ personality: 'freeradius', duplicates: { profile: 'nps' } });
    expect(c.duplicates.profile.name).toBe('nps');
    expect(c.duplicates.windowMs).toBe(10_000);
    expect(c.personalityOverrides).toEqual(['duplicateProfile']);
  });

  it('rejectMessage: null overrides a preset text back to none', () => {
    expect(
      config({ personality: 'duo', replies: { rejectMessage: null } }).replies.rejectMessage,
    ).toBeUndefined();
  });
});

describe('npsCompat.crpUsernameStuffing and dropPolicyAttributesAfterChallenge', () => {
  it('nps drops the policy attributes after an OTP challenge; crpUsernameStuffing: true forwards them', () => {
    expect(config({}).npsCompat).toEqual({
      dropPolicyAttributesAfterChallenge: true,
      crpUsernameStuffing: false,
    });
    expect(config({ npsCompat: { crpUsernameStuffing: true } }).npsCompat).toEqual({
      dropPolicyAttributesAfterChallenge: false,
      crpUsernameStuffing: true,
    });
    expect(
      config({ npsCompat: { crpUsernameStuffing: false } }).npsCompat.dropPolicyAttributesAfterChallenge,
    ).toBe(true);
  });

  it('the old key still works in both directions, under any personality', () => {
    expect(config({ npsCompat: { dropPolicyAttributesAfterChallenge: false } }).npsCompat).toMatchObject({
      dropPolicyAttributesAfterChallenge: false,
    });
    expect(
      config({ personality: 'freeradius', npsCompat: { dropPolicyAttributesAfterChallenge: true } })
        .npsCompat,
    ).toMatchObject({ dropPolicyAttributesAfterChallenge: true });
  });

  it('names every bad combination at once, with its fix', () => {
    expect(
      issuesOf({
        personality: 'freeradius',
        npsCompat: { crpUsernameStuffing: true, dropPolicyAttributesAfterChallenge: true },
        replies: { codePrompt: 'Code {code} for {user}', rejectMessage: 'é'.repeat(200) },
      }),
    ).toEqual([
      {
        path: 'replies.codePrompt',
        message: 'uses the unknown placeholder {code}',
        fix: expect.stringContaining('{prompt} or {user}') as unknown,
      },
      {
        path: 'replies.rejectMessage',
        message: 'is 400 octets in UTF-8; a Reply-Message holds 253',
        fix: 'shorten the text',
      },
      {
        path: 'npsCompat.crpUsernameStuffing',
        message: "is the NPS extension's workaround, but personality is freeradius",
        fix: expect.stringContaining('npsCompat.dropPolicyAttributesAfterChallenge: false') as unknown,
      },
      {
        path: 'npsCompat.dropPolicyAttributesAfterChallenge',
        message:
          'is true while crpUsernameStuffing: true forwards the policy attributes after an OTP challenge',
        fix: expect.stringContaining('keep one') as unknown,
      },
    ]);
  });

  it('an unknown personality or mode is named with the allowed values', () => {
    const issues = issuesOf({
      personality: 'radiator',
      statusServer: 'maybe',
      replies: { messageAuthenticator: 'x' },
    });
    expect(issues).toEqual([
      expect.objectContaining({ path: 'personality', fix: 'use one of nps, freeradius, duo' }),
      expect.objectContaining({ path: 'statusServer' }),
      expect.objectContaining({ path: 'replies.messageAuthenticator' }),
    ]);
  });
});

describe('README', () => {
  it('prints the preset table and its sources exactly as the code has them', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    // Compared as prettier leaves it: column padding and rule lengths do not count.
    const flat = (text: string): string => text.replace(/-{3,}/g, '---').replace(/ +/g, ' ');
    expect(flat(readme)).toContain(flat(personalityTableMarkdown()));
    for (const key of Object.values(PRESET_KEYS)) expect(readme).toContain(`\`${key}\``);
  });
});
