// Unit tests of the harness's pure parts (config rendering, output parsing, tool lookup, ports):
// they run on any machine, with or without FreeRADIUS installed.
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { parseEapolOutput, renderEapolConfig } from './eapol-test.ts';
import {
  editEapModule,
  editMainConfig,
  enableLdapBind,
  renderLdapModule,
  renderClientsFile,
  renderListenSections,
  renderUsersFile,
  replaceListenSections,
} from '../../peers/freeradius.ts';
import { findFreeUdpPorts, findFreeUdpPort } from '../../peers/ports.ts';
import {
  attributeLines,
  formatAttributeValue,
  parseRadclientOutput,
  serverArgument,
} from '../../peers/radclient.ts';
import { MissingToolError, isCi, requireTool, requireTools } from '../../peers/tools.ts';

describe('tools', () => {
  it('counts CI=true and CI=1 as CI, and nothing else', () => {
    expect(isCi({ CI: 'true' })).toBe(true);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({ CI: 'TRUE' })).toBe(true);
    expect(isCi({})).toBe(false);
    expect(isCi({ CI: '' })).toBe(false);
    expect(isCi({ CI: 'false' })).toBe(false);
    expect(isCi({ CI: '0' })).toBe(false);
  });

  it('fails at once for a missing tool when CI=1', () => {
    const previous = process.env.CI;
    process.env.CI = '1';
    try {
      expect(() => requireTools(['oathtool'], { searchPath: [] })).toThrow(MissingToolError);
    } finally {
      if (previous === undefined) delete process.env.CI;
      else process.env.CI = previous;
    }
  });

  it('fails with the apt package named when a tool is missing under CI', () => {
    const attempt = (): unknown => requireTools(['eapol_test', 'radclient'], { ci: true, searchPath: [] });
    expect(attempt).toThrow(MissingToolError);
    expect(attempt).toThrow(
      /eapol_test \(Debian package eapoltest\).*radclient \(Debian package freeradius-utils\)/,
    );
    expect(attempt).toThrow(/apt-get install -y eapoltest freeradius-utils/);
  });

  it('reports and returns unavailable on a developer machine', () => {
    const messages: string[] = [];
    const result = requireTools(['oathtool'], {
      ci: false,
      searchPath: [],
      report: (text) => messages.push(text),
    });
    expect(result.available).toBe(false);
    expect(result.missing.map((tool) => tool.aptPackage)).toEqual(['oathtool']);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('skipping');
  });

  it('finds a tool on the search path', () => {
    const lookup = requireTool('radclient', { ci: false, searchPath: ['/usr/bin'], report: () => undefined });
    // Either outcome is fine here; what matters is that path and availability agree.
    expect(lookup.available).toBe(lookup.path !== undefined);
  });
});

describe('ports', () => {
  it('returns a port that can be bound right after', async () => {
    const port = await findFreeUdpPort();
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', resolve);
    });
    expect(socket.address().port).toBe(port);
    await new Promise<void>((resolve) => socket.close(resolve));
  });

  it('returns distinct ports', async () => {
    const ports = await findFreeUdpPorts(4);
    expect(new Set(ports).size).toBe(4);
  });
});

describe('radclient syntax and output', () => {
  it('formats values the way FreeRADIUS reads them', () => {
    expect(formatAttributeValue(3600)).toBe('3600');
    expect(formatAttributeValue('0x0aFF')).toBe('0x0aFF');
    expect(formatAttributeValue('a "b" \\c\n')).toBe('"a \\"b\\" \\\\c\\n"');
    expect(attributeLines({ Class: ['0x01', '0x02'], 'User-Name': 'x' })).toEqual([
      'Class = 0x01',
      'Class = 0x02',
      'User-Name = "x"',
    ]);
    expect(serverArgument('::1', 1812)).toBe('[::1]:1812');
  });

  it('parses received packets and ignores what was sent', () => {
    const stdout = [
      'Sent Access-Request Id 7 from 0.0.0.0:5000 to 127.0.0.1:1812 length 45',
      '\tUser-Name = "alice"',
      'Received Access-Accept Id 7 from 127.0.0.1:1812 to 127.0.0.1:5000 length 40',
      '\tReply-Message = "say \\"hi\\"\\tnow \\303\\251"',
      '\tClass = 0x01',
      '\tClass = 0x02',
      '(0) -: some notice',
      '\tStray = 1',
    ].join('\n');
    const replies = parseRadclientOutput(stdout);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.code).toBe('Access-Accept');
    expect(replies[0]?.id).toBe(7);
    expect(replies[0]?.attributes).toEqual({
      'Reply-Message': ['say "hi"\tnow \u00c3\u00a9'],
      Class: ['0x01', '0x02'],
    });
  });
});

describe('FreeRADIUS config generation', () => {
  it('writes Cleartext-Password users with := then += reply items', () => {
    const text = renderUsersFile([
      { name: 'alice', password: 'pw', replyAttributes: { Class: ['0x01', '0x02'], 'Session-Timeout': 60 } },
      { name: 'bob', password: 'x"y' },
    ]);
    expect(text).toContain(
      '"alice"\tCleartext-Password := "pw"\n\tClass := 0x01,\n\tClass += 0x02,\n\tSession-Timeout := 60\n',
    );
    expect(text).toContain('"bob"\tCleartext-Password := "x\\"y"\n');
  });

  it('writes v4 and v6 clients', () => {
    const text = renderClientsFile([
      { ipaddr: '127.0.0.1', secret: 's' },
      { name: 'six', ipaddr: '::1', secret: 't', requireMessageAuthenticator: true },
    ]);
    expect(text).toMatch(/client client0_127_0_0_1 \{\n\tipaddr = 127\.0\.0\.1\n\tsecret = "s"/);
    expect(text).toMatch(
      /client six \{\n\tipv6addr = ::1\n\tsecret = "t"\n\trequire_message_authenticator = yes/,
    );
  });

  it('replaces every listen section, ignoring commented ones and braces in comments and strings', () => {
    const site = [
      'server default {',
      '#listen {',
      '#}',
      'listen {',
      '\ttype = auth',
      '\tipaddr = *\t# a } brace in a comment',
      '\tlimit {',
      '\t\tmax_connections = 16',
      '\t}',
      '}',
      'listen {',
      '\ttype = acct',
      '\tname = "odd } name"',
      '}',
      'authorize {',
      '\tfiles',
      '}',
      '}',
    ].join('\n');
    const listen = renderListenSections(['127.0.0.1', '::1'], 1000, 1001);
    const out = replaceListenSections(site, listen);
    expect(out.match(/listen \{/g)).toHaveLength(4);
    expect(out).toContain('listen {\n\ttype = auth\n\tipaddr = 127.0.0.1\n\tport = 1000\n}');
    expect(out).toContain('listen {\n\ttype = acct\n\tipv6addr = ::1\n\tport = 1001\n}');
    expect(out).not.toContain('ipaddr = *');
    expect(out).toContain('authorize {\n\tfiles\n}');
    expect(replaceListenSections(site)).not.toMatch(/listen/);
    // A receive buffer, when asked for, goes into every listen section.
    const buffered = renderListenSections(['127.0.0.1'], 1000, 1001, 4_194_304);
    expect(buffered.match(/\trecv_buff = 4194304\n\}/g)).toHaveLength(2);
  });

  it('edits radiusd.conf settings in place', () => {
    const conf = [
      'raddbdir = /etc/freeradius/3.0',
      'logdir = /var/log/freeradius',
      'run_dir = ${localstatedir}/run/${name}',
      'proxy_requests  = yes',
      'log {',
      '\tcolourise = yes',
      '\tauth = no',
      '}',
      'security {',
      '\tuser = freerad',
      '\tgroup = freerad',
      '\treject_delay = 1',
      '\tstatus_server = no',
      '}',
    ].join('\n');
    const root = editMainConfig(conf, { configDir: '/tmp/x', rejectDelaySeconds: 0, dropPrivileges: true });
    expect(root).toContain(
      'raddbdir = /tmp/x\nlogdir = /tmp/x/log\nrun_dir = /tmp/x/run\nproxy_requests = no',
    );
    expect(root).toContain('\treject_delay = 0\n\tstatus_server = yes');
    expect(root).toContain('\tuser = freerad');
    const user = editMainConfig(conf, { configDir: '/tmp/x', rejectDelaySeconds: 2, dropPrivileges: false });
    expect(user).not.toContain('freerad');
    expect(user).toContain('reject_delay = 2');
  });

  it('sets the outer default EAP type and insists on md5 and mschapv2 sections', () => {
    const eap =
      'eap {\n\tdefault_eap_type = md5\n\tmd5 {\n\t}\n\tpeap {\n\t\tdefault_eap_type = mschapv2\n\t}\n\tmschapv2 {\n\t}\n}';
    const out = editEapModule(eap, 'peap');
    expect(out).toContain('eap {\n\tdefault_eap_type = peap\n');
    expect(out).toContain('\t\tdefault_eap_type = mschapv2');
    expect(() => editEapModule('eap {\n\tdefault_eap_type = md5\n#\tmd5 {\n#\t}\n}', 'md5')).toThrow(/md5/);
  });

  it('applies the AD recipe for rlm_ldap: ldap in authorize, Auth-Type := ldap, Auth-Type LDAP in authenticate', () => {
    const site = [
      'server default {',
      'authorize {',
      '\tfiles',
      '\t-ldap',
      '#\tif ((ok || updated) && User-Password && !control:Auth-Type) {',
      '\tpap',
      '}',
      'authenticate {',
      '\tAuth-Type PAP {',
      '\t\tpap',
      '\t}',
      '#\tAuth-Type LDAP {',
      '#\t\tldap',
      '#\t}',
      '}',
      'post-auth {',
      '\t-ldap',
      '}',
      '}',
    ].join('\n');
    const out = enableLdapBind(site);
    expect(out).toContain(
      'authorize {\n\tfiles\n\tldap\n\tif ((ok || updated) && User-Password && !control:Auth-Type) {\n\t\tupdate control {\n\t\t\t&Auth-Type := ldap\n\t\t}\n\t}\n\tpap\n}',
    );
    expect(out).toContain('authenticate {\n\tAuth-Type LDAP {\n\t\tldap\n\t}\n\tAuth-Type PAP {');
    // Only the authorize section's optional call changes.
    expect(out).toContain('post-auth {\n\t-ldap\n}');
    expect(() => enableLdapBind('server default {\nauthorize {\n\tfiles\n}\nauthenticate {\n}\n}')).toThrow(
      /-ldap/,
    );
  });

  it('writes an ldap module that reads no password attribute and quotes the service account', () => {
    const text = renderLdapModule({
      host: '127.0.0.1',
      port: 3890,
      bindDn: 'CN=svc,OU=Service Accounts,DC=x',
      bindPassword: "it's\\secret",
      baseDn: 'DC=x',
    });
    expect(text).toContain("\tserver = '127.0.0.1'\n\tport = 3890\n");
    expect(text).toContain("\tidentity = 'CN=svc,OU=Service Accounts,DC=x'");
    expect(text).toContain("\tpassword = 'it\\'s\\\\secret'");
    expect(text).toContain(
      'filter = "(&(objectClass=user)(sAMAccountName=%{%{Stripped-User-Name}:-%{User-Name}}))"',
    );
    expect(text).not.toMatch(/userPassword|update \{/);
  });
});

describe('eapol_test config and output', () => {
  const base = { host: '127.0.0.1', port: 1812, secret: 's', identity: 'alice', password: 'pw' } as const;

  it('renders PEAP phase settings and hex-encodes strings with quotes', () => {
    const config = renderEapolConfig({ ...base, method: 'peap-mschapv2', password: 'a"b' });
    expect(config).toContain('\teap=PEAP\n');
    expect(config).toContain('\tphase2="auth=MSCHAPV2"\n');
    expect(config).toContain('\tidentity="alice"\n');
    expect(config).toContain(`\tpassword=${Buffer.from('a"b').toString('hex')}\n`);
  });

  it('extracts the verdict, MSK and MPPE keys', () => {
    const output = [
      'EAP-MSCHAPV2: Derived key - hexdump(len=4): 0a 0b 0c 0d',
      'MS-MPPE-Send-Key (sign) - hexdump(len=2): 0c 0d',
      'MS-MPPE-Recv-Key (crypt) - hexdump(len=2): 0a 0b',
      'MPPE keys OK: 1  mismatch: 0',
      'SUCCESS',
      '',
    ].join('\n');
    expect(parseEapolOutput(output, 'mschapv2')).toEqual({
      verdict: 'SUCCESS',
      msk: '0a0b0c0d',
      mppeSendKey: '0c0d',
      mppeRecvKey: '0a0b',
      mppeKeysMatched: true,
    });
    expect(parseEapolOutput('MPPE keys OK: 0  mismatch: 0\nFAILURE\n', 'md5')).toEqual({
      verdict: 'FAILURE',
      mppeKeysMatched: false,
    });
  });
});
