import { describe, expect, it } from 'vitest';
import { EapType } from '../../../protocol/auth/index.ts';
import { MESSAGE_AUTHENTICATOR_TYPE, attributeValue } from '../../../protocol/index.ts';
import type { ChallengePrompt } from '../../../simulators/nas/index.ts';
import { settle, setup } from './support/harness.ts';

const alice = { user: 'alice', password: 'correct horse' } as const;
const bob = { user: 'bob', password: 'b0b-secret' } as const;

describe('PAP', () => {
  it('logs in and reports the reply, its attributes and one round trip', async () => {
    const { clock, servers, nas } = await setup([
      { acceptAttributes: [{ name: 'Filter-Id', value: 'vpn-users' }] },
    ]);
    const result = await settle(clock, nas.login({ method: 'pap', ...alice }));
    expect(result).toMatchObject({
      outcome: 'accept',
      replyCode: 2,
      replyCodeLabel: 'Access-Accept',
      replyMessage: 'hello alice',
      roundTrips: 1,
      transmissions: 1,
      retransmissions: 0,
      challenges: 0,
      server: { index: 0, port: servers[0]?.endpoint.port },
    });
    expect(attributeValue(result.attributes, 'Filter-Id')).toBe('vpn-users');
    const request = servers[0]?.received[0];
    expect(attributeValue(request?.attributes ?? [], 'NAS-Identifier')).toBe('radmfa-nas');
    expect(attributeValue(request?.attributes ?? [], 'NAS-Port-Type')).toBe(5);
    // Message-Authenticator first (Blast-RADIUS guidance).
    expect(request?.packet.attributes[0]?.type).toBe(MESSAGE_AUTHENTICATOR_TYPE);
  });

  it('reports a reject with its Reply-Message', async () => {
    const { clock, nas } = await setup();
    const result = await settle(clock, nas.login({ method: 'pap', user: 'alice', password: 'wrong' }));
    expect(result).toMatchObject({ outcome: 'reject', replyCode: 3, replyMessage: 'bad password' });
  });

  it('answers an Access-Challenge with the user model, echoing State, the code in User-Password', async () => {
    const { clock, servers, nas } = await setup();
    const prompts: ChallengePrompt[] = [];
    const result = await settle(
      clock,
      nas.login({
        method: 'pap',
        ...bob,
        challengeResponder: async (prompt) => {
          prompts.push(prompt);
          await clock.sleep(4_000); // the user reads the SMS and types
          return '123456';
        },
      }),
    );
    expect(result.outcome).toBe('accept');
    expect(result).toMatchObject({ challenges: 1, roundTrips: 2, totalTimeMs: 4_000 });
    expect(prompts).toEqual([
      { replyMessage: 'Enter your verification code', state: Buffer.from('state-1'), attempt: 1 },
    ]);
    const second = servers[0]?.received[1];
    expect(attributeValue(second?.attributes ?? [], 'State')).toEqual(Buffer.from('state-1'));
    expect(attributeValue(second?.attributes ?? [], 'User-Password')).toEqual(Buffer.from('123456'));
    expect(result.trace.filter((e) => e.kind === 'send').map((e) => e.round)).toEqual([1, 2]);
  });

  it('is rejected with a wrong code', async () => {
    const { clock, nas } = await setup();
    const result = await settle(
      clock,
      nas.login({ method: 'pap', ...bob, challengeResponder: () => Promise.resolve('000000') }),
    );
    expect(result).toMatchObject({ outcome: 'reject', replyMessage: 'wrong code', challenges: 1 });
  });

  it('a responder that throws ends the login as an error instead of rejecting login()', async () => {
    const { clock, nas } = await setup();
    const result = await settle(
      clock,
      nas.login({
        method: 'pap',
        ...bob,
        challengeResponder: () => Promise.reject(new Error('keyboard on fire')),
      }),
    );
    expect(result.outcome).toBe('error');
    expect(result.error?.message).toMatch(/keyboard on fire/);
  });

  it('ends with challenge-unanswered when the user gives up or nobody is asked', async () => {
    const { clock, nas } = await setup();
    const gaveUp = await settle(
      clock,
      nas.login({ method: 'pap', ...bob, challengeResponder: () => Promise.resolve(null) }),
    );
    expect(gaveUp).toMatchObject({
      outcome: 'error',
      error: { code: 'challenge-unanswered' },
      replyCode: 11,
    });
    const nobody = await settle(clock, nas.login({ method: 'pap', ...bob }));
    expect(nobody.error?.code).toBe('challenge-unanswered');
  });

  it('bounds the challenge rounds', async () => {
    const { clock, nas } = await setup();
    const result = await settle(
      clock,
      nas.login({
        method: 'pap',
        ...bob,
        maxChallengeRounds: 0,
        challengeResponder: () => Promise.resolve('123456'),
      }),
    );
    expect(result.error?.code).toBe('too-many-challenges');
  });

  it('reports a password too long for User-Password as a build failure', async () => {
    const { clock, nas } = await setup();
    const result = await settle(
      clock,
      nas.login({ method: 'pap', user: 'alice', password: 'x'.repeat(200) }),
    );
    expect(result).toMatchObject({
      outcome: 'error',
      error: { code: 'request-build-failed' },
      transmissions: 0,
    });
    expect(nas.stats().outstanding).toBe(0);
  });

  it('adds extra attributes to the request', async () => {
    const { clock, servers, nas } = await setup();
    await settle(
      clock,
      nas.login({
        method: 'pap',
        ...alice,
        extraAttributes: [{ name: 'Calling-Station-Id', value: '198.51.100.7' }],
      }),
    );
    expect(attributeValue(servers[0]?.received[0]?.attributes ?? [], 'Calling-Station-Id')).toBe(
      '198.51.100.7',
    );
  });

  it('can require Message-Authenticator in replies (Blast-RADIUS hardening)', async () => {
    const { clock, nas } = await setup([{ messageAuthenticator: false }], {
      profile: 'netscaler',
      requireMessageAuthenticator: true,
    });
    const result = await settle(clock, nas.login({ method: 'pap', ...alice }));
    expect(result.outcome).toBe('timeout');
    expect(result.trace.find((e) => e.kind === 'invalid-reply')).toMatchObject({
      reason: 'message-authenticator-missing',
    });
    const lenient = await setup([{ messageAuthenticator: false }]);
    expect((await settle(lenient.clock, lenient.nas.login({ method: 'pap', ...alice }))).outcome).toBe(
      'accept',
    );
  });
});

describe('CHAP', () => {
  it('logs in with the challenge in CHAP-Challenge', async () => {
    const { clock, servers, nas } = await setup();
    const result = await settle(clock, nas.login({ method: 'chap', ...alice }));
    expect(result.outcome).toBe('accept');
    expect(attributeValue(servers[0]?.received[0]?.attributes ?? [], 'CHAP-Challenge')).toHaveLength(16);
  });

  it('logs in with the Request Authenticator as the challenge, in naive mode too', async () => {
    const { clock, servers, nas } = await setup([{ replyPlan: (i) => (i === 0 ? 'drop' : 'send') }], {
      profile: 'radclient',
      policy: { retransmission: 'naive' },
    });
    const result = await settle(
      clock,
      nas.login({ method: 'chap', ...alice, chapChallenge: 'authenticator' }),
    );
    expect(result.outcome).toBe('accept');
    expect(result.retransmissions).toBe(1);
    expect(attributeValue(servers[0]?.received[0]?.attributes ?? [], 'CHAP-Challenge')).toBeUndefined();
  });

  it('is rejected with a wrong password', async () => {
    const { clock, nas } = await setup();
    expect(
      (await settle(clock, nas.login({ method: 'chap', user: 'alice', password: 'nope' }))).outcome,
    ).toBe('reject');
  });
});

describe('MS-CHAPv2', () => {
  it('verifies MS-CHAP2-Success and decrypts the MPPE keys', async () => {
    const { clock, nas } = await setup();
    const result = await settle(clock, nas.login({ method: 'mschapv2', ...alice }));
    expect(result.outcome).toBe('accept');
    expect(result.msChap2SuccessVerified).toBe(true);
    expect(result.mppeKeys?.sendKey).toHaveLength(16);
    expect(result.mppeKeys?.recvKey).toHaveLength(16);
    expect(result.mppeKeys?.matchesExpected).toBe(true);
  });

  it('reports the MS-CHAP-Error code of a reject', async () => {
    const { clock, nas } = await setup();
    const result = await settle(clock, nas.login({ method: 'mschapv2', user: 'alice', password: 'nope' }));
    expect(result.outcome).toBe('reject');
    expect(result.msChapError).toMatchObject({ errorCode: 691, retry: false, message: 'bad password' });
  });

  it('refuses an Accept whose authenticator response does not verify', async () => {
    const { clock, nas } = await setup([{ badAuthenticatorResponse: true }]);
    const result = await settle(clock, nas.login({ method: 'mschapv2', ...alice }));
    expect(result).toMatchObject({ outcome: 'error', replyCode: 2, msChap2SuccessVerified: false });
    expect(result.error?.code).toBe('ms-chap2-success-invalid');
  });
});

describe('EAP-MD5', () => {
  it('runs Identity, challenge and response, carrying State and Message-Authenticator', async () => {
    const { clock, servers, nas } = await setup();
    const result = await settle(clock, nas.login({ method: 'eap-md5', ...alice }));
    expect(result.outcome).toBe('accept');
    expect(result).toMatchObject({
      roundTrips: 2,
      challenges: 1,
      eap: { type: EapType.Md5Challenge, success: true, nakSent: false },
    });
    const [first, second] = servers[0]?.received ?? [];
    expect(attributeValue(first?.attributes ?? [], 'State')).toBeUndefined();
    expect(attributeValue(second?.attributes ?? [], 'State')).toEqual(Buffer.from('state-1'));
    for (const request of servers[0]?.received ?? []) {
      expect(request.packet.attributes[0]?.type).toBe(MESSAGE_AUTHENTICATOR_TYPE);
    }
  });

  it('is rejected with EAP-Failure for a wrong password', async () => {
    const { clock, nas } = await setup();
    const result = await settle(clock, nas.login({ method: 'eap-md5', user: 'alice', password: 'nope' }));
    expect(result).toMatchObject({ outcome: 'reject', eap: { success: false } });
  });
});

describe('EAP-MSCHAPv2', () => {
  it('Naks the MD5 the server proposes first, verifies S= and exposes the MPPE keys', async () => {
    const { clock, nas } = await setup();
    const result = await settle(clock, nas.login({ method: 'eap-mschapv2', ...alice }));
    expect(result.outcome).toBe('accept');
    expect(result.eap).toEqual({
      type: EapType.MsChapV2,
      success: true,
      nakSent: true,
      proposedTypes: [EapType.Md5Challenge],
    });
    expect(result.msChap2SuccessVerified).toBe(true);
    expect(result.mppeKeys?.matchesExpected).toBe(true);
    // Identity, Nak, Response, Success acknowledgement.
    expect(result.roundTrips).toBe(4);
  });

  it('needs no Nak when the server starts with MSCHAPv2', async () => {
    const { clock, nas } = await setup([{ eapFirstType: EapType.MsChapV2 }]);
    const result = await settle(clock, nas.login({ method: 'eap-mschapv2', ...alice }));
    expect(result).toMatchObject({ outcome: 'accept', roundTrips: 3, eap: { nakSent: false } });
  });

  it('acknowledges a Failure request and reports its error code', async () => {
    const { clock, nas } = await setup([{ eapFirstType: EapType.MsChapV2 }]);
    const result = await settle(
      clock,
      nas.login({ method: 'eap-mschapv2', user: 'alice', password: 'nope' }),
    );
    expect(result.outcome).toBe('reject');
    expect(result.msChapError?.errorCode).toBe(691);
  });

  it('stops when the Success request does not prove the password', async () => {
    const { clock, nas } = await setup([{ eapFirstType: EapType.MsChapV2, badAuthenticatorResponse: true }]);
    const result = await settle(clock, nas.login({ method: 'eap-mschapv2', ...alice }));
    expect(result).toMatchObject({
      outcome: 'error',
      error: { code: 'eap-authenticator-response-invalid' },
      replyCode: 11,
    });
  });
});

describe('Status-Server and accounting', () => {
  it('sends Status-Server with Message-Authenticator and gets an Access-Accept', async () => {
    const { clock, servers, nas } = await setup();
    const result = await settle(clock, nas.statusServer());
    expect(result).toMatchObject({ outcome: 'ok', replyCode: 2, roundTrips: 1 });
    expect(attributeValue(result.attributes, 'Reply-Message')).toBe('alive');
    expect(servers[0]?.received[0]?.packet.attributes[0]?.type).toBe(MESSAGE_AUTHENTICATOR_TYPE);
  });

  it('sends Accounting Start, Interim-Update and Stop', async () => {
    const { clock, servers, nas } = await setup();
    const start = await settle(
      clock,
      nas.accounting({ statusType: 'Start', sessionId: 's-1', user: 'alice' }),
    );
    const interim = await settle(
      clock,
      nas.accounting({
        statusType: 'Interim-Update',
        sessionId: 's-1',
        user: 'alice',
        sessionTimeSeconds: 60,
      }),
    );
    const stop = await settle(
      clock,
      nas.accounting({
        statusType: 'Stop',
        sessionId: 's-1',
        user: 'alice',
        sessionTimeSeconds: 120,
        inputOctets: 1_000,
        outputOctets: 2_000,
        terminateCause: 'User-Request',
      }),
    );
    for (const result of [start, interim, stop])
      expect(result).toMatchObject({ outcome: 'ok', replyCode: 5 });
    const received = servers[0]?.received ?? [];
    expect(received.map((r) => attributeValue(r.attributes, 'Acct-Status-Type'))).toEqual([1, 3, 2]);
    expect(attributeValue(received[2]?.attributes ?? [], 'Acct-Terminate-Cause')).toBe(1);
    expect(attributeValue(received[2]?.attributes ?? [], 'Acct-Session-Id')).toBe('s-1');
  });

  it('retransmits an Accounting-Request unchanged and times out like a login', async () => {
    const { clock, servers, nas } = await setup([{ replyPlan: () => 'drop' }], { profile: 'radclient' });
    const result = await settle(clock, nas.accounting({ statusType: 'Start', sessionId: 's-2' }));
    expect(result).toMatchObject({ outcome: 'timeout', transmissions: 3, totalTimeMs: 15_000 });
    const data = (servers[0]?.received ?? []).map((r) => r.data.toString('hex'));
    expect(new Set(data).size).toBe(1);
  });
});
