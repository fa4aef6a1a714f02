// The login's user search asks for exactly what radmfa reads from the entry: the list built from the
// configuration (login-attributes.ts), what the directory then returns (the LDAP stub selects as
// RFC 4511 4.5.1.8 says), and every login method still working on that much of the entry.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AD_ACCOUNT_ATTRIBUTES } from '../../../protocol/ad-account.ts';
import { normaliseServerConfig, type ServerConfig } from '../../../reference/config/server-config.ts';
import { accountState } from '../../../reference/directory/account-state.ts';
import { LdapDirectory } from '../../../reference/directory/ldap-directory.ts';
import {
  loginAttributeLists,
  loginAttributes,
  secretNeedOf,
  type LoginAttributeSettings,
} from '../../../reference/directory/login-attributes.ts';
import { ServerEvents, type ServerEventMap } from '../../../reference/events.ts';
import { AUTH_METHODS, type AuthMethod } from '../../../reference/methods.ts';
import { SystemClock } from '../../../runtime/clock.ts';
import { UdpTransport } from '../../../runtime/udp-transport.ts';
import { formatIssues } from '../../../runtime/validation/index.ts';
import { startStack, type Stack } from '../../../scenarios/embedded/compose.ts';
import { createNas, type LoginMethod, type Nas } from '../../../simulators/nas/index.ts';
import { DEMO_DIRECTORY, SERVE_SECRET } from '../../../peers/serve-process.ts';

const SETTINGS: LoginAttributeSettings = {
  cleartextPasswordAttribute: 'userPassword',
  ntHashAttribute: 'sambaNTPassword',
};
const IDENTITY = ['sAMAccountName', 'uid', 'userPrincipalName', 'memberOf', ...AD_ACCOUNT_ATTRIBUTES];
const lower = (names: readonly string[]): string[] => names.map((n) => n.toLowerCase());

describe('loginAttributes: the list built from the configuration', () => {
  it('PAP reads no secret; CHAP and EAP-MD5 the cleartext; the MS-CHAP family the NT hash; no method both', () => {
    const expected: Readonly<Record<AuthMethod, readonly string[]>> = {
      pap: [],
      chap: ['userPassword'],
      'eap-md5': ['userPassword'],
      mschap: ['sambaNTPassword'],
      mschapv2: ['sambaNTPassword'],
      'eap-mschapv2': ['sambaNTPassword'],
    };
    for (const method of AUTH_METHODS) {
      expect(loginAttributes(SETTINGS, secretNeedOf(method)), method).toEqual([
        ...IDENTITY,
        ...expected[method],
      ]);
    }
    expect(loginAttributes(SETTINGS, secretNeedOf(undefined))).toEqual([
      ...IDENTITY,
      'userPassword',
      'sambaNTPassword',
    ]);
  });

  it('each setting that names an attribute adds it, once, whatever its case; nothing else is added', () => {
    const attributeName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/);
    fc.assert(
      fc.property(
        attributeName,
        attributeName,
        fc.option(attributeName, { nil: undefined }),
        (clear, nt, alt) => {
          const settings = {
            cleartextPasswordAttribute: clear,
            ntHashAttribute: nt,
            ...(alt !== undefined ? { alternateLoginIdAttribute: alt } : {}),
          };
          const lists = loginAttributeLists(settings);
          const both = lower(lists.both);
          // Never empty (empty means the whole entry) and no name twice.
          expect(both.length).toBeGreaterThan(0);
          expect(new Set(both).size).toBe(both.length);
          const wanted = new Set(lower([...IDENTITY, clear, nt, ...(alt !== undefined ? [alt] : [])]));
          expect(new Set(both)).toEqual(wanted);
          for (const name of [clear, nt]) {
            // A secret is in the PAP list only when another setting (or an identity attribute) names it too.
            const elsewhere = lower([...IDENTITY, ...(alt !== undefined ? [alt] : [])]).includes(
              name.toLowerCase(),
            );
            expect(lower(lists.none).includes(name.toLowerCase())).toBe(elsewhere);
          }
          if (alt !== undefined)
            for (const list of Object.values(lists)) expect(lower(list)).toContain(alt.toLowerCase());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the account-state attributes listed are the ones accountState() reads', () => {
    const now = Date.UTC(2026, 0, 1);
    // Each of them alone changes the state, so none can be dropped from the list.
    expect(accountState({ useraccountcontrol: ['514'] }, now)).toBe('disabled');
    expect(accountState({ lockouttime: ['133000000000000000'] }, now)).toBe('locked');
    expect(accountState({ accountexpires: ['1'] }, now)).toBe('account-expired');
    expect(accountState({ pwdlastset: ['0'] }, now)).toBe('password-must-change');
    expect(lower(AD_ACCOUNT_ATTRIBUTES)).toEqual([
      'useraccountcontrol',
      'accountexpires',
      'lockouttime',
      'pwdlastset',
    ]);
  });
});

function config(extra: Record<string, unknown> = {}): ServerConfig {
  const result = normaliseServerConfig({
    listen: { host: '127.0.0.1', authPort: 0, acctPort: 0 },
    clients: [{ address: '127.0.0.1', secret: SERVE_SECRET }],
    directory: { embedded: { fixture: DEMO_DIRECTORY } },
    accounting: { path: ':memory:' },
    ...extra,
  });
  if (!result.ok) throw new Error(formatIssues(result.issues));
  return result.config;
}

describe('against the LDAP stub: the entry carries only what was asked for, and every method logs in', () => {
  const clock = new SystemClock();
  const transport = new UdpTransport();
  let stack: Stack;
  let nas: Nas;
  const access: ServerEventMap['access'][] = [];

  beforeAll(async () => {
    const events = new ServerEvents();
    events.on('access', (event) => access.push(event));
    stack = await startStack(config(), { clock, transport, events });
    const [auth] = stack.server.endpoints('auth');
    if (auth === undefined) throw new Error('no auth socket');
    nas = createNas({
      transport,
      clock,
      servers: [{ host: auth.address, port: auth.port, secret: SERVE_SECRET }],
      policy: { kind: 'fixed', timeoutMs: 3000, retries: 1, retransmission: 'same' },
    });
  });

  afterAll(async () => {
    await nas?.close();
    await stack?.close();
  });

  function stub(): NonNullable<Stack['ldapStub']> {
    if (stack.ldapStub === undefined) throw new Error('no embedded LDAP stub');
    return stack.ldapStub;
  }

  it('a directory lookup per method: only the requested attributes come back, the right secret among them', async () => {
    const ldap = stub();
    const directory = new LdapDirectory({
      config: stack.config.directory,
      url: ldap.url,
      clock,
      alternateLoginIdAttribute: 'employeeID',
    });
    try {
      for (const method of [...AUTH_METHODS, undefined]) {
        const before = ldap.history.searches().length;
        const found = await directory.findUser('alice', method);
        if (found.kind !== 'found') throw new Error(`${method}: ${found.kind}`);
        const requested = loginAttributes(
          { ...SETTINGS, alternateLoginIdAttribute: 'employeeID' },
          secretNeedOf(method),
        );
        expect(
          ldap.history
            .searches()
            .slice(before)
            .map((s) => s.attributes),
          String(method),
        ).toEqual([requested]);
        // What the stub returned: a subset of the request (alice has no uid), never mail or givenName.
        const returned = Object.keys(found.user.attributes);
        expect(lower(requested), String(method)).toEqual(expect.arrayContaining(returned));
        expect(returned).toEqual(expect.arrayContaining(['samaccountname', 'memberof', 'employeeid']));
        expect(returned).not.toContain('mail');
        const need = secretNeedOf(method);
        expect(found.user.cleartextPassword !== undefined, String(method)).toBe(
          need === 'cleartext' || need === 'both',
        );
        expect(found.user.ntHash !== undefined, String(method)).toBe(need === 'nt-hash' || need === 'both');
        expect(found.user.groups).toEqual(expect.arrayContaining(['VPN-Users']));
        expect(found.user.state).toBe('active');
      }
      // And an account state is still read from the narrowed entry.
      const grace = await directory.findUser('grace', 'pap');
      expect(grace.kind === 'found' && grace.user.state).toBe('disabled');
    } finally {
      await directory.close();
    }
  });

  it('PAP, CHAP, MS-CHAPv2, EAP-MD5 and EAP-MSCHAPv2 log in through the server, each search narrowed to its secret', async () => {
    const ldap = stub();
    const secretsAsked: Record<string, string[]> = {};
    const methods: readonly LoginMethod[] = ['pap', 'chap', 'mschapv2', 'eap-md5', 'eap-mschapv2'];
    for (const method of methods) {
      const before = ldap.history.searches().length;
      const result = await nas.login({ method, user: 'alice', password: 'Passw0rd!' });
      expect(result.outcome, `${method}: ${access.at(-1)?.reason}`).toBe('accept');
      const searches = ldap.history.searches().slice(before);
      expect(searches.length, method).toBeGreaterThan(0);
      secretsAsked[method] = [
        ...new Set(
          searches.flatMap((s) =>
            s.attributes.filter((a) => ['userPassword', 'sambaNTPassword'].includes(a)),
          ),
        ),
      ];
      for (const search of searches) expect(search.attributes).toEqual(expect.arrayContaining(IDENTITY));
    }
    expect(secretsAsked).toEqual({
      pap: [],
      chap: ['userPassword'],
      mschapv2: ['sambaNTPassword'],
      'eap-md5': ['userPassword'],
      'eap-mschapv2': ['sambaNTPassword'],
    });
    // A wrong password is still refused on the narrowed entry, by every method.
    for (const method of methods) {
      const result = await nas.login({ method, user: 'alice', password: 'Passw0rd?' });
      expect(result.outcome, method).toBe('reject');
    }
  });
});
