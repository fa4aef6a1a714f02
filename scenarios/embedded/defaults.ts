import { resolve } from 'node:path';
import { serverConfigDefaults } from '../../reference/config/server-config.ts';

const root = resolve(import.meta.dirname, '../..');

export const demoDirectoryFixture = resolve(root, 'fixtures/directory/demo.yaml');
export const demoTenantFixture = resolve(root, 'fixtures/tenant/demo.yaml');

/**
 * The embedded default: the reference server, the LDAP stub with the demo directory and the MFA
 * mock with the demo tenant, answering NAS 127.0.0.1 / ::1 with secret testing123 (the secret
 * FreeRADIUS and radtest ship with), on the standard ports.
 */
export function embeddedDefaultConfig(overrides: { accountingPath?: string } = {}): Record<string, unknown> {
  return {
    listen: { hosts: ['127.0.0.1'], authPort: 1812, acctPort: 1813 },
    clients: [
      { name: 'localhost', address: '127.0.0.1/8', secret: 'testing123' },
      { name: 'localhost6', address: '::1', secret: 'testing123' },
    ],
    directory: { embedded: { fixture: demoDirectoryFixture } },
    // Without a config file there is nothing to be relative to but the working directory; the
    // path is made absolute so the started line says exactly where the database is.
    accounting: { path: overrides.accountingPath ?? resolve(serverConfigDefaults.accountingPath) },
    policy: {
      rules: [
        {
          name: 'vpn-admins',
          when: { group: 'VPN-Admins' },
          reply: [
            { name: 'Class', value: 'vpn-admins' },
            { name: 'Filter-Id', value: 'admin-acl' },
            { name: 'Session-Timeout', value: 28800 },
          ],
        },
        {
          name: 'vpn-users',
          when: { group: 'VPN-Users' },
          reply: [
            { name: 'Class', value: 'vpn-users' },
            { name: 'Filter-Id', value: 'user-acl' },
            { name: 'Session-Timeout', value: 3600 },
          ],
        },
      ],
      noMatch: 'deny',
    },
    mfa: { enabled: true, embedded: { tenant: demoTenantFixture } },
    admin: { host: '127.0.0.1', port: 9812 },
  };
}
