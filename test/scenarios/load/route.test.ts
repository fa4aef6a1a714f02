// Which logins take the lean NAS path: PAP logins one reply ends, on a run with one unobserved server
// and RFC 5080 retransmissions; everything else nas.login, with the reason.
import { describe, expect, it } from 'vitest';
import { routeLogin, runWideReason, type RunRouting } from '../../../scenarios/load/route.ts';

const run: RunRouting = { nasPath: 'auto', observed: false, servers: 1, retransmission: 'same' };
const pap = { method: 'pap' } as const;

describe('NAS path of a login', () => {
  it('a PAP login with no OTP key against one external server goes lean', () => {
    expect(routeLogin(pap, run)).toEqual({ path: 'lean' });
    expect(runWideReason(run)).toBeUndefined();
  });

  it.each([
    ['chap', 'method'],
    ['mschapv2', 'method'],
    ['eap-md5', 'method'],
    ['eap-mschapv2', 'method'],
  ] as const)('%s stays on nas.login (%s)', (method, reason) => {
    expect(routeLogin({ method }, run)).toEqual({ path: 'full', reason });
  });

  it('a user who answers OTP prompts stays on nas.login', () => {
    expect(routeLogin({ method: 'pap', totpKey: Buffer.alloc(20) }, run)).toEqual({
      path: 'full',
      reason: 'otp-code',
    });
  });

  it.each([
    [{ nasPath: 'full' }, 'forced'],
    [{ observed: true }, 'observed-server'],
    [{ servers: 2 }, 'failover'],
    [{ retransmission: 'naive' }, 'naive-retransmission'],
  ] as const)('run-wide %o sends every login through nas.login (%s)', (change, reason) => {
    const changed: RunRouting = { ...run, ...change };
    expect(runWideReason(changed)).toBe(reason);
    expect(routeLogin(pap, changed)).toEqual({ path: 'full', reason });
  });

  it('the run-wide reason comes before the entry reason', () => {
    expect(routeLogin({ method: 'chap' }, { ...run, observed: true })).toEqual({
      path: 'full',
      reason: 'observed-server',
    });
  });
});
