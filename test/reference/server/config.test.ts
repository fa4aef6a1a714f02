import { describe, expect, it } from 'vitest';
import { formatIssues, type Issue } from '../../../runtime/validation/index.ts';
import { normaliseServerConfig } from '../../../reference/config/server-config.ts';
import { demoDirectoryFixture, demoTenantFixture } from '../../../scenarios/embedded/defaults.ts';

const minimal = {
  clients: [{ name: 'vpn', address: '127.0.0.1', secret: 'testing123' }],
  directory: { url: 'ldap://127.0.0.1:389' },
};

function issuesOf(raw: unknown): readonly Issue[] {
  const result = normaliseServerConfig(raw);
  if (result.ok) throw new Error('expected the config to be refused');
  return result.issues;
}

describe('normaliseServerConfig', () => {
  it('accepts a minimal config and fills every default', () => {
    const result = normaliseServerConfig(minimal);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { config } = result;
    expect(config.listen).toMatchObject({ hosts: ['127.0.0.1'], authPort: 1812, acctPort: 1813 });
    expect(config.clients).toEqual([
      {
        name: 'vpn',
        address: '127.0.0.1',
        secret: 'testing123',
        requireMessageAuthenticator: 'auto',
        limitProxyState: 'auto',
      },
    ]);
    expect(config.directory).toMatchObject({ url: 'ldap://127.0.0.1:389', onUnavailable: 'reject' });
    expect(config.duplicates.profile.name).toBe('nps');
    expect(config.duplicates.windowMs).toBe(10_000);
    expect(config.policy).toEqual({ rules: [], noMatch: 'grant' });
    expect(config.mfa.enabled).toBe(false);
    // The nps personality is the default: its preset fills what the file leaves out.
    expect(config.personality).toBe('nps');
    expect(config.personalityOverrides).toEqual([]);
    expect(config.rejectDelayMs).toBe(0);
    expect(config.statusServer).toBe('answer');
    expect(config.replies).toEqual({ messageAuthenticator: 'always', codePrompt: '{prompt}' });
    expect(config.npsCompat).toEqual({
      dropPolicyAttributesAfterChallenge: true,
      crpUsernameStuffing: false,
    });
  });

  it('normalises a fuller config: IPv6 client CIDR, rfc5080 window, policy with a vendor attribute', () => {
    const result = normaliseServerConfig({
      ...minimal,
      listen: { hosts: ['127.0.0.1', '::1'], authPort: 0, acctPort: 0 },
      clients: [
        { name: 'v4', address: '127.0.0.0/8', secret: 'a', requireMessageAuthenticator: true },
        { name: 'v6', address: '::1/128', secret: 'b' },
      ],
      duplicates: { profile: 'rfc5080', windowMs: 3000 },
      policy: {
        rules: [
          {
            name: 'vpn-users',
            when: { group: 'VPN-Users', method: ['pap', 'mschapv2'], nasPortType: 'Virtual' },
            reply: [
              { name: 'Class', value: 'vpn' },
              { name: 'Cisco-AVPair', value: 'ip:inacl#1=permit ip any any' },
            ],
          },
        ],
      },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.listen.hosts).toEqual(['127.0.0.1', '::1']);
    expect(result.config.clients[0]?.requireMessageAuthenticator).toBe(true);
    expect(result.config.duplicates.profile.name).toBe('rfc5080');
    expect(result.config.duplicates.windowMs).toBe(3000);
    const rule = result.config.policy.rules[0];
    // NAS-Port-Type Virtual is 5 (RFC 2865 5.41); with rules and no noMatch, NPS semantics deny.
    expect(rule?.when).toEqual({ groups: ['VPN-Users'], methods: ['pap', 'mschapv2'], nasPortTypes: [5] });
    expect(result.config.policy.noMatch).toBe('deny');
  });

  it('returns every issue at once, each with its field and a fix', () => {
    const issues = issuesOf({
      listn: { authPort: 1812 },
      listen: { authPort: 70_000 },
      clients: [
        { name: 'bad-cidr', address: '10.0.0.0/33', secret: 'x' },
        { name: 'no-secret', address: '127.0.0.1' },
      ],
      directory: { url: 'ldap://127.0.0.1:389' },
      duplicates: { profile: 'freeradius' },
      policy: {
        rules: [{ name: 'r1', reply: [{ name: 'No-Such-Attribute', value: 'x' }] }],
      },
    });
    const fields = issues.map((issue) => issue.path);
    expect(fields).toEqual(
      expect.arrayContaining([
        'listn',
        'listen.authPort',
        'clients[0].address',
        'clients[1].secret',
        'duplicates.profile',
        'policy.rules[0].reply[0]',
      ]),
    );
    expect(issues).toHaveLength(6);
    for (const issue of issues) {
      expect(issue.message.length).toBeGreaterThan(0);
      expect(issue.fix.length).toBeGreaterThan(0);
    }
    const byField = new Map(issues.map((issue) => [issue.path, issue]));
    expect(byField.get('listn')?.fix).toContain('listen');
    expect(byField.get('listen.authPort')?.message).toContain('70000');
    expect(byField.get('clients[0].address')?.message).toContain('10.0.0.0/33');
    expect(byField.get('clients[1].secret')?.message).toBe('is missing');
    expect(byField.get('duplicates.profile')?.fix).toContain('nps, rfc5080, duo, none');
    expect(byField.get('policy.rules[0].reply[0]')?.message).toContain('No-Such-Attribute');
    // The formatted text names every field, for the command's exit-104 message.
    const text = formatIssues(issues);
    for (const field of fields) expect(text).toContain(field);
  });

  it('reports wrong types and values inside nested settings', () => {
    const issues = issuesOf({
      listen: { host: 'localhost', acctPort: -1 },
      clients: [{ name: 'vpn', address: '127.0.0.1', secret: '', requireMessageAuthenticator: 'yes' }],
      directory: { url: 'http://dc.example', onUnavailable: 'ignore' },
      duplicates: { profile: 'nps', windowMs: 500 },
      policy: {
        rules: [
          {
            when: { method: 'kerberos', colour: 'blue' },
            action: 'allow',
            reply: [{ name: 'Session-Timeout', value: 'forever' }],
          },
        ],
      },
    });
    const fields = issues.map((issue) => issue.path);
    expect(fields).toEqual(
      expect.arrayContaining([
        'listen.host',
        'listen.acctPort',
        'clients[0].secret',
        'clients[0].requireMessageAuthenticator',
        'directory.url',
        'directory.onUnavailable',
        'duplicates.windowMs',
        'policy.rules[0].when.method',
        'policy.rules[0].when.colour',
        'policy.rules[0].action',
        'policy.rules[0].reply[0]',
      ]),
    );
  });

  it('refuses a config with no clients and no directory', () => {
    const fields = issuesOf({}).map((issue) => issue.path);
    expect(fields).toEqual(expect.arrayContaining(['clients', 'directory']));
  });

  it('refuses the same port for auth and accounting', () => {
    const issues = issuesOf({ ...minimal, listen: { authPort: 1812, acctPort: 1812 } });
    expect(issues.map((issue) => issue.path)).toEqual(['listen.acctPort']);
  });

  it('checks meaning beside shape: unique names, one directory, what an enabled MFA needs', () => {
    const issues = issuesOf({
      clients: [
        { address: '127.0.0.1', secret: 'a' },
        { name: '127.0.0.1', address: '::1', secret: 'b', extra: 1 },
      ],
      directory: { url: 'ldap://127.0.0.1', embedded: { fixture: demoDirectoryFixture } },
      mfa: { IP_WHITELIST: '10.0.0.1, not-an-ip' },
    });
    expect(issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'clients[1].extra: is not a known setting',
      'clients[1].name: "127.0.0.1" is used by clients[0]',
      'directory: names both a url and an embedded fixture',
      'mfa.serviceUrl: is missing while mfa.enabled is true',
      'mfa.tenantId: is missing while mfa.enabled is true',
      'mfa.certificates.dir: is missing while mfa.enabled is true',
      'mfa.IP_WHITELIST[1]: "not-an-ip" is not an IP address',
    ]);
  });

  it('checks the files it names: fixture and tenant exist, the accounting directory exists', () => {
    const missing = '/nonexistent-radmfa-dir/file.yaml';
    const issues = issuesOf({
      ...minimal,
      directory: { embedded: { fixture: missing } },
      accounting: { path: '/nonexistent-radmfa-dir/accounting.sqlite' },
      mfa: { embedded: { tenant: import.meta.dirname } },
    });
    expect(issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      `directory.embedded.fixture: "${missing}" does not exist`,
      'accounting.path: the directory "/nonexistent-radmfa-dir" does not exist',
      `mfa.embedded.tenant: "${import.meta.dirname}" is not a file`,
    ]);
    const ok = normaliseServerConfig({
      ...minimal,
      directory: { embedded: { fixture: demoDirectoryFixture } },
      accounting: { path: ':memory:' },
      mfa: { embedded: { tenant: demoTenantFixture } },
    });
    expect(ok.ok ? [] : ok.issues).toEqual([]);
  });
});
