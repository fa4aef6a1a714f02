// AD account rules, table-driven: one row per combination of flags and times, the state a logon
// sees, and every state that holds. Both sides of the reference/simulators boundary read them
// through protocol/ad-account.ts; the last block checks they answer alike.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AD_ACCOUNT_STATE_ORDER,
  FILETIME_NEVER,
  adAccountExpiresAt,
  adAccountState,
  adAccountStateOfAttributes,
  adAccountStates,
  filetimeFromUnixMs,
  filetimeToMs,
  parseFiletime,
  unixMsFromFiletime,
  type AdAccountFacts,
  type AdAccountState,
} from '../../protocol/ad-account.ts';
import { accountState as referenceAccountState } from '../../reference/directory/account-state.ts';
import { accountState as stubAccountState } from '../../simulators/ldap/account-state.ts';

const NOW = Date.UTC(2025, 0, 6, 9, 0, 0);
const PAST = filetimeFromUnixMs(NOW - 86_400_000).toString();
const FUTURE = filetimeFromUnixMs(NOW + 86_400_000).toString();
const SET_2024 = filetimeFromUnixMs(Date.UTC(2024, 0, 1)).toString();

const NORMAL = 0x200;
const DISABLE = 0x2;
const LOCKOUT = 0x10;
const DONT_EXPIRE = 0x1_0000;
const PW_EXPIRED = 0x80_0000;

interface Row {
  readonly name: string;
  readonly facts: AdAccountFacts;
  readonly state: AdAccountState;
  readonly holds?: readonly AdAccountState[];
}

const base: AdAccountFacts = {
  userAccountControl: NORMAL,
  accountExpires: FILETIME_NEVER,
  pwdLastSet: SET_2024,
};

const ROWS: readonly Row[] = [
  { name: 'a normal account', facts: base, state: 'active' },
  { name: 'accountExpires 0 means never', facts: { ...base, accountExpires: '0' }, state: 'active' },
  { name: 'accountExpires in the future', facts: { ...base, accountExpires: FUTURE }, state: 'active' },
  { name: 'lockoutTime 0 is not locked', facts: { ...base, lockoutTime: '0' }, state: 'active' },
  { name: 'ACCOUNTDISABLE', facts: { ...base, userAccountControl: NORMAL | DISABLE }, state: 'disabled' },
  { name: 'a non-zero lockoutTime', facts: { ...base, lockoutTime: SET_2024 }, state: 'locked' },
  { name: 'the LOCKOUT flag', facts: { ...base, userAccountControl: NORMAL | LOCKOUT }, state: 'locked' },
  { name: 'accountExpires in the past', facts: { ...base, accountExpires: PAST }, state: 'account-expired' },
  { name: 'pwdLastSet 0', facts: { ...base, pwdLastSet: '0' }, state: 'password-must-change' },
  {
    name: 'PASSWORD_EXPIRED',
    facts: { ...base, userAccountControl: NORMAL | PW_EXPIRED },
    state: 'password-expired',
  },
  {
    name: 'DONT_EXPIRE_PASSWORD overrides pwdLastSet 0 and PASSWORD_EXPIRED',
    facts: { ...base, userAccountControl: NORMAL | DONT_EXPIRE | PW_EXPIRED, pwdLastSet: '0' },
    state: 'active',
  },
  {
    name: 'disabled and locked: disabled wins',
    facts: { ...base, userAccountControl: NORMAL | DISABLE, lockoutTime: SET_2024 },
    state: 'disabled',
    holds: ['disabled', 'locked'],
  },
  {
    name: 'locked and expired: locked wins',
    facts: { ...base, lockoutTime: SET_2024, accountExpires: PAST },
    state: 'locked',
    holds: ['locked', 'account-expired'],
  },
  {
    name: 'expired and must change: expired wins',
    facts: { ...base, accountExpires: PAST, pwdLastSet: '0' },
    state: 'account-expired',
    holds: ['account-expired', 'password-must-change'],
  },
  {
    name: 'must change and PASSWORD_EXPIRED (the demo directory heidi): must change wins',
    facts: { ...base, userAccountControl: 0x800200, pwdLastSet: '0' },
    state: 'password-must-change',
    holds: ['password-must-change', 'password-expired'],
  },
  {
    name: 'everything at once: disabled',
    facts: {
      userAccountControl: NORMAL | DISABLE | LOCKOUT | PW_EXPIRED,
      accountExpires: PAST,
      lockoutTime: SET_2024,
      pwdLastSet: '0',
    },
    state: 'disabled',
    holds: ['disabled', 'locked', 'account-expired', 'password-must-change', 'password-expired'],
  },
  {
    name: 'a lockoutTime that is not a number is ignored',
    facts: { ...base, lockoutTime: 'x' },
    state: 'active',
  },
];

describe('which state a logon sees', () => {
  it.each(ROWS)('$name: $state', ({ facts, state, holds }) => {
    expect(adAccountState(facts, NOW)).toBe(state);
    expect(adAccountStates(facts, NOW)).toEqual(holds ?? (state === 'active' ? [] : [state]));
  });

  it('expiry is inclusive: an account whose accountExpires is now is expired', () => {
    const facts = { ...base, accountExpires: filetimeFromUnixMs(NOW).toString() };
    expect(adAccountState(facts, NOW)).toBe('account-expired');
    expect(adAccountState(facts, NOW - 1)).toBe('active');
  });

  it('whatever holds, the state is the first of them in AD order', () => {
    fc.assert(
      fc.property(
        fc.record({
          disabled: fc.boolean(),
          locked: fc.boolean(),
          expired: fc.boolean(),
          mustChange: fc.boolean(),
          pwExpired: fc.boolean(),
        }),
        (on) => {
          const facts: AdAccountFacts = {
            userAccountControl: NORMAL | (on.disabled ? DISABLE : 0) | (on.pwExpired ? PW_EXPIRED : 0),
            accountExpires: on.expired ? PAST : FILETIME_NEVER,
            lockoutTime: on.locked ? SET_2024 : '0',
            pwdLastSet: on.mustChange ? '0' : SET_2024,
          };
          const holding = new Set(adAccountStates(facts, NOW));
          const first = AD_ACCOUNT_STATE_ORDER.find((s) => holding.has(s)) ?? 'active';
          expect(adAccountState(facts, NOW)).toBe(first);
        },
      ),
    );
  });
});

describe('adAccountExpiresAt', () => {
  it('is the first millisecond adAccountStateOfAttributes counts expired, whatever the sub-ms ticks', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: BigInt(FILETIME_NEVER) - 1n }), (ticks) => {
        const attributes = { useraccountcontrol: ['512'], accountexpires: [ticks.toString()] };
        const at = adAccountExpiresAt(attributes);
        expect(at).toBeDefined();
        expect(adAccountStateOfAttributes(attributes, (at as number) - 1)).toBe('active');
        expect(adAccountStateOfAttributes(attributes, at as number)).toBe('account-expired');
      }),
    );
  });

  it('is undefined when the account never expires', () => {
    for (const value of [undefined, '0', FILETIME_NEVER, 'garbage']) {
      const attributes: Record<string, string[]> = value === undefined ? {} : { accountexpires: [value] };
      expect(adAccountExpiresAt(attributes)).toBeUndefined();
    }
  });
});

describe('FILETIME', () => {
  it.each([
    ['0', undefined],
    [FILETIME_NEVER, undefined],
    ['116444736000000000', 0],
    [filetimeFromUnixMs(NOW).toString(), NOW],
    ['not a number', undefined],
    ['99999999999999999999', undefined],
  ] as const)('filetimeToMs(%s) = %s', (value, ms) => {
    expect(filetimeToMs(value)).toBe(ms);
  });

  it('round-trips milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        expect(unixMsFromFiletime(filetimeFromUnixMs(ms))).toBe(ms);
      }),
    );
  });

  it('parses only decimal strings within 64 bits', () => {
    expect(parseFiletime(' 10 ')).toBe(10n);
    expect(parseFiletime('-1')).toBeUndefined();
    expect(parseFiletime('9223372036854775808')).toBeUndefined();
  });
});

describe('both sides answer alike', () => {
  it.each(ROWS)('$name', ({ facts, state }) => {
    const attributes: Record<string, string[]> = { useraccountcontrol: [String(facts.userAccountControl)] };
    if (facts.accountExpires !== undefined) attributes.accountexpires = [facts.accountExpires];
    if (facts.lockoutTime !== undefined) attributes.lockouttime = [facts.lockoutTime];
    if (facts.pwdLastSet !== undefined) attributes.pwdlastset = [facts.pwdLastSet];
    expect(adAccountStateOfAttributes(attributes, NOW)).toBe(state);
    expect(referenceAccountState(attributes, NOW)).toBe(state);
    expect(
      stubAccountState(
        { ...facts, accountExpires: facts.accountExpires ?? '0', pwdLastSet: facts.pwdLastSet ?? SET_2024 },
        NOW,
      ),
    ).toBe(state);
  });
});
