// The mock's behaviour as one suite, run against the handlers in process (msw/node) and over real
// HTTP on loopback, like MQTT.js's abstract client suite: one set of handlers, one set of assertions.
// Everything runs on a VirtualClock; a test waits for a request's arrival before advancing time.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { arrival, oathtool, oathtoolTotp, START_MS, virtualDemoMock, type VirtualMock } from './harness.ts';
import { DEMO_TENANT_ID, errorCode, MfaTestClient, okBody } from './client.ts';
import { tokenPath } from '../../../../simulators/mfa/api-types.ts';
import {
  credentialFor,
  demoExpiredCertificate,
  unregisteredCertificate,
} from '../../../support/certificates.ts';

export interface Transport {
  readonly client: MfaTestClient;
  /** Over HTTP, reachability changes close or reopen the listener asynchronously. */
  settled?(): Promise<void>;
  close(): Promise<void>;
}

export function describeMfaContract(mode: string, open: (vm: VirtualMock) => Promise<Transport>): void {
  describe(`MFA mock contract (${mode})`, () => {
    let vm: VirtualMock;
    let transport: Transport;
    let client: MfaTestClient;

    beforeEach(async () => {
      vm = await virtualDemoMock();
      transport = await open(vm);
      client = transport.client;
      okBody(await client.login());
    });

    afterEach(async () => {
      await transport.close();
      vm.mock.dispose();
    });

    async function begin(user: string): Promise<string> {
      return okBody(await client.begin({ user })).sessionId;
    }

    it('alice approves her push after 2 s, not at 1.9 s', async () => {
      const begun = okBody(
        await client.begin({ user: 'alice@radmfa.test', context: { clientIp: '198.51.100.7' } }),
      );
      expect(begun).toMatchObject({
        method: 'push',
        next: 'push_sent',
        status: 'pending',
        createdAt: START_MS,
      });
      await vm.clock.advance(1900);
      expect(okBody(await client.poll(begun.sessionId))).toMatchObject({ status: 'pending', final: false });
      await vm.clock.advance(100);
      expect(okBody(await client.poll(begun.sessionId))).toMatchObject({
        status: 'approved',
        final: true,
        decidedAt: START_MS + 2000,
      });
    });

    it('answers a long-poll the moment the user approves', async () => {
      const sessionId = await begin('alice@radmfa.test');
      const poll = client.poll(sessionId, 60_000);
      await arrival(vm.mock, { endpoint: 'poll', sessionId });
      await vm.clock.advance(2000);
      expect(okBody(await poll).status).toBe('approved');
      const record = vm.mock.service.history.last({ endpoint: 'poll' });
      expect(record).toMatchObject({ waitMs: 60_000, httpStatus: 200, result: 'approved' });
      expect((record?.respondedAt ?? 0) - (record?.receivedAt ?? 0)).toBe(2000);
    });

    it('ends a long-poll at its wait with the session still pending', async () => {
      const sessionId = await begin('alice@radmfa.test');
      const poll = client.poll(sessionId, 500);
      await arrival(vm.mock, { endpoint: 'poll', sessionId });
      await vm.clock.advance(500);
      expect(okBody(await poll).status).toBe('pending');
    });

    it('carol denies', async () => {
      const sessionId = await begin('carol@radmfa.test');
      const poll = client.poll(sessionId, 60_000);
      await arrival(vm.mock, { endpoint: 'poll', sessionId });
      await vm.clock.advance(3000);
      expect(okBody(await poll)).toMatchObject({ status: 'denied', decidedAt: START_MS + 3000 });
    });

    it('frank never answers: timed out at the prompt timeout (60 s)', async () => {
      const sessionId = await begin('frank@radmfa.test');
      const poll = client.poll(sessionId, 60_000);
      await arrival(vm.mock, { endpoint: 'poll', sessionId });
      await vm.clock.advance(59_999);
      await vm.clock.advance(1);
      expect(okBody(await poll)).toMatchObject({ status: 'timed_out', decidedAt: START_MS + 60_000 });
    });

    it('ivan answers his phone call after 5 s', async () => {
      const begun = okBody(await client.begin({ user: 'ivan@radmfa.test' }));
      expect(begun).toMatchObject({ method: 'phone_call', next: 'call_placed', phoneHint: '*********09' });
      await vm.clock.advance(5000);
      expect(okBody(await client.poll(begun.sessionId)).status).toBe('approved');
    });

    it('dave is not enrolled; unknown users are not found; foreign domains are denied', async () => {
      const dave = await client.begin({ user: 'dave@radmfa.test' });
      expect(dave.kind === 'error' && dave.status).toBe(404);
      expect(errorCode(dave)).toBe('UserNotEnrolled');
      expect(errorCode(await client.begin({ user: 'nobody@radmfa.test' }))).toBe('UserNotFound');
      expect(errorCode(await client.begin({ user: 'eve@elsewhere.test' }))).toBe('AccessDenied');
    });

    it('finds a user by an alternate login id', async () => {
      const begun = okBody(await client.begin({ user: 'Alice.Anderson@radmfa.test' }));
      expect(begun.method).toBe('push');
    });

    it.skipIf(!oathtool.available)(
      "accepts bob's TOTP code computed by oathtool, and refuses it a second time",
      async () => {
        const begun = okBody(await client.begin({ user: 'bob@radmfa.test' }));
        expect(begun).toMatchObject({
          method: 'app_code',
          next: 'enter_app_code',
          status: 'awaiting_code',
          codeLength: 6,
        });
        await vm.clock.advance(4000); // bob types for 4 s
        const code = oathtoolTotp('JBSWY3DPEHPK3PXP', vm.clock.now());
        expect(okBody(await client.code(begun.sessionId, code))).toMatchObject({
          verdict: 'accepted',
          status: 'approved',
        });
        expect(okBody(await client.poll(begun.sessionId))).toMatchObject({
          status: 'approved',
          decidedAt: START_MS + 4000,
        });

        // RFC 6238 section 5.2: an accepted code is never accepted again.
        const again = await begin('bob@radmfa.test');
        expect(okBody(await client.code(again, code))).toMatchObject({
          verdict: 'wrong_code',
          resultCode: 'OathCodeReplayed',
        });
      },
    );

    it.skipIf(!oathtool.available)(
      'accepts the previous TOTP step (window 1) but not one two steps old',
      async () => {
        const oneStepOld = oathtoolTotp('JBSWY3DPEHPK3PXP', vm.clock.now() - 30_000);
        const twoStepsOld = oathtoolTotp('JBSWY3DPEHPK3PXP', vm.clock.now() - 60_000);
        const first = await begin('bob@radmfa.test');
        expect(okBody(await client.code(first, twoStepsOld))).toMatchObject({
          verdict: 'wrong_code',
          resultCode: 'OathCodeIncorrect',
        });
        expect(okBody(await client.code(first, oneStepOld)).verdict).toBe('accepted');
      },
    );

    it("erin's SMS code is in the outbox and is accepted", async () => {
      const begun = okBody(await client.begin({ user: 'erin@radmfa.test' }));
      expect(begun).toMatchObject({
        method: 'sms',
        next: 'sms_sent',
        codeLength: 6,
        phoneHint: '*********05',
      });
      const { messages } = okBody(await client.sms('erin@radmfa.test'));
      expect(messages).toHaveLength(1);
      const message = messages[0];
      expect(message).toMatchObject({
        user: 'erin@radmfa.test',
        to: '+12025550105',
        sessionId: begun.sessionId,
      });
      expect(message?.code).toMatch(/^\d{6}$/);
      expect(message?.text).toContain(message?.code ?? '?');
      expect(okBody(await client.code(begun.sessionId, message?.code ?? ''))).toMatchObject({
        verdict: 'accepted',
        status: 'approved',
      });
    });

    it('locks a session out after 3 wrong codes, even if the right one follows', async () => {
      const sessionId = await begin('erin@radmfa.test');
      const right = vm.mock.service.outbox.latest({ sessionId })?.code ?? '';
      const wrong = right === '000000' ? '111111' : '000000';
      expect(okBody(await client.code(sessionId, wrong))).toMatchObject({
        verdict: 'wrong_code',
        resultCode: 'SMSAuthFailedWrongCodeEntered',
        status: 'awaiting_code',
        attemptsRemaining: 2,
      });
      expect(okBody(await client.code(sessionId, wrong)).attemptsRemaining).toBe(1);
      expect(okBody(await client.code(sessionId, wrong))).toMatchObject({
        verdict: 'locked_out',
        resultCode: 'SMSAuthFailedMaxAllowedCodeRetryReached',
        status: 'locked_out',
        attemptsRemaining: 0,
      });
      expect(okBody(await client.code(sessionId, right)).verdict).toBe('locked_out');
      expect(okBody(await client.poll(sessionId))).toMatchObject({ status: 'locked_out', wrongCodes: 3 });
    });

    it('wakes a long-poll when the code arrives', async () => {
      const sessionId = await begin('erin@radmfa.test');
      const poll = client.poll(sessionId, 60_000);
      await arrival(vm.mock, { endpoint: 'poll', sessionId });
      await vm.clock.advance(6000);
      const code = vm.mock.service.outbox.latest({ sessionId })?.code ?? '';
      okBody(await client.code(sessionId, code));
      expect(okBody(await poll)).toMatchObject({ status: 'approved', decidedAt: START_MS + 6000 });
    });

    it('invalidates a session after 3 minutes (InvalidSession)', async () => {
      const sessionId = await begin('erin@radmfa.test');
      const code = vm.mock.service.outbox.latest({ sessionId })?.code ?? '';
      await vm.clock.advance(179_999);
      expect(okBody(await client.poll(sessionId)).status).toBe('awaiting_code');
      await vm.clock.advance(1);
      const poll = await client.poll(sessionId);
      expect(poll.kind === 'error' && poll.status).toBe(404);
      expect(errorCode(poll)).toBe('InvalidSession');
      expect(errorCode(await client.code(sessionId, code))).toBe('InvalidSession');
      expect(errorCode(await client.poll('ses-999999'))).toBe('InvalidSession');
    });

    it('refuses tokens for an unknown tenant, an unregistered or expired certificate (ESTS_TOKEN_ERROR)', async () => {
      const unknownTenant = await client.login('00000000-0000-0000-0000-000000000000');
      expect(unknownTenant.kind === 'error' && unknownTenant.status).toBe(401);
      expect(unknownTenant.kind === 'error' && unknownTenant.body.error).toMatchObject({
        code: 'ESTS_TOKEN_ERROR',
        detail: expect.stringMatching(/^unknown_tenant/) as unknown,
      });
      const stranger = credentialFor([await unregisteredCertificate(vm.clock.now())], vm.clock);
      const unregistered = await client.requestToken(
        DEMO_TENANT_ID,
        await client.assertion(DEMO_TENANT_ID, stranger),
      );
      expect(unregistered.kind === 'error' && unregistered.body.error.detail).toMatch(
        /^unknown_certificate: AADSTS700027: .*The key was not found/,
      );
      const previous = credentialFor([demoExpiredCertificate()], vm.clock);
      const expired = await client.requestToken(
        DEMO_TENANT_ID,
        await client.assertion(DEMO_TENANT_ID, previous),
      );
      expect(expired.kind === 'error' && expired.body.error.detail).toMatch(
        /^certificate_expired: AADSTS700027/,
      );
      // Entra takes the grant form-encoded (RFC 6749 section 4.4.2); radmfa's clients send JSON. Both work.
      const form = new URLSearchParams({ ...(await client.assertion()) }).toString();
      const response = await client.fetchFn(`${client.baseUrl}${tokenPath(DEMO_TENANT_ID)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      expect(response.status).toBe(200);
    });

    it('refuses MFA calls without a valid, unexpired bearer token', async () => {
      const token = client.token;
      client.token = '';
      expect(errorCode(await client.begin({ user: 'alice@radmfa.test' }))).toBe('ESTS_TOKEN_ERROR');
      client.token = 'forged';
      const forged = await client.begin({ user: 'alice@radmfa.test' });
      expect(forged.kind === 'error' && forged.body.error.detail).toMatch(/^invalid_token/);
      client.token = token;
      await vm.clock.advance(3_600_000);
      const expired = await client.begin({ user: 'alice@radmfa.test' });
      expect(expired.kind === 'error' && expired.body.error.detail).toMatch(/^expired_token/);
    });

    it('rejects malformed requests with REQUEST_FORMAT_ERROR', async () => {
      expect(errorCode(await client.call('POST', '/mfa/v1/authentications', '{not json'))).toBe(
        'REQUEST_FORMAT_ERROR',
      );
      expect(errorCode(await client.call('POST', '/mfa/v1/authentications', { user: '' }))).toBe(
        'REQUEST_FORMAT_ERROR',
      );
      expect(
        errorCode(await client.begin({ user: 'alice@radmfa.test', method: 'carrier_pigeon' as never })),
      ).toBe('REQUEST_FORMAT_ERROR');
      const sessionId = await begin('alice@radmfa.test');
      expect(errorCode(await client.code(sessionId, '123456'))).toBe('REQUEST_FORMAT_ERROR');
    });

    it('answers REQUEST_MISSING_CODE, contacting nobody, when RADIUS cannot carry the method', async () => {
      const reply = await client.begin({
        user: 'erin@radmfa.test',
        acceptableMethods: ['push', 'phone_call'],
      });
      expect(errorCode(reply)).toBe('REQUEST_MISSING_CODE');
      expect(vm.mock.service.outbox.list()).toHaveLength(0);
    });

    it('records every call in order, readable over the API', async () => {
      const sessionId = await begin('alice@radmfa.test');
      await client.poll(sessionId);
      await client.begin({ user: 'dave@radmfa.test' });
      const { calls } = okBody(await client.calls());
      expect(calls.map((c) => [c.seq, c.endpoint, c.result])).toEqual([
        [1, 'token', 'token_issued'],
        [2, 'begin', 'push_sent'],
        [3, 'poll', 'pending'],
        [4, 'begin', 'UserNotEnrolled'],
      ]);
      expect(calls[1]).toMatchObject({
        user: 'alice@radmfa.test',
        method: 'push',
        sessionId,
        receivedAt: START_MS,
      });
      const onlyDave = okBody(await client.calls('?user=dave@radmfa.test'));
      expect(onlyDave.calls.map((c) => c.seq)).toEqual([4]);
      const sinceTwo = okBody(await client.calls('?since=2&endpoint=poll'));
      expect(sinceTwo.calls.map((c) => c.seq)).toEqual([3]);
    });

    describe('faults', () => {
      it('latency: the answer waits for the injected delay', async () => {
        okBody(await client.setFaults({ latency: { ms: 750, endpoints: ['begin'] } }));
        let settled = false;
        const reply = client.begin({ user: 'alice@radmfa.test' }).finally(() => (settled = true));
        const call = await arrival(vm.mock, { endpoint: 'begin' });
        await vm.clock.advance(749);
        expect(settled).toBe(false);
        await vm.clock.advance(1);
        expect(okBody(await reply).next).toBe('push_sent');
        expect(vm.mock.service.history.last({ endpoint: 'begin' })).toMatchObject({
          seq: call.seq,
          faults: ['latency'],
          respondedAt: START_MS + 750,
        });
      });

      it('server errors: a 5xx with ServiceUnavailable, for the next N calls only', async () => {
        okBody(await client.setFaults({ serverError: { status: 502, times: 2, endpoints: ['begin'] } }));
        for (let i = 0; i < 2; i++) {
          const reply = await client.begin({ user: 'alice@radmfa.test' });
          expect(reply.kind === 'error' && reply.status).toBe(502);
          expect(errorCode(reply)).toBe('ServiceUnavailable');
        }
        expect(okBody(await client.begin({ user: 'alice@radmfa.test' })).next).toBe('push_sent');
      });

      it('token errors: ESTS_TOKEN_ERROR from the token endpoint', async () => {
        okBody(await client.setFaults({ tokenError: { times: 1 } }));
        const refused = await client.login();
        expect(refused.kind === 'error' && refused.body.error).toMatchObject({
          code: 'ESTS_TOKEN_ERROR',
          detail: expect.stringMatching(/^injected/) as unknown,
        });
        expect(vm.mock.service.history.last({ endpoint: 'token' })?.faults).toEqual(['token_error']);
        expect((await client.login()).kind).toBe('ok');
      });

      it('dropped connections: no response, recorded with status 0, no session created', async () => {
        okBody(await client.setFaults({ drop: { times: 1, endpoints: ['begin'] } }));
        const reply = await client.begin({ user: 'alice@radmfa.test' });
        expect(reply.kind).toBe('network');
        expect(vm.mock.service.history.last({ endpoint: 'begin' })).toMatchObject({
          httpStatus: 0,
          result: 'dropped',
          faults: ['drop'],
        });
        expect(vm.mock.service.liveSessions).toBe(0);
      });

      it('dropped after processing: the push went out, only the answer was lost', async () => {
        okBody(await client.setFaults({ drop: { times: 1, endpoints: ['begin'], afterProcessing: true } }));
        expect((await client.begin({ user: 'alice@radmfa.test' })).kind).toBe('network');
        expect(vm.mock.service.history.last({ endpoint: 'begin' })).toMatchObject({
          httpStatus: 0,
          result: 'dropped:push_sent',
        });
        expect(vm.mock.service.liveSessions).toBe(1);
      });

      it('unreachable: nothing answers, nothing is recorded, and it comes back after forMs', async () => {
        vm.mock.service.faults.set({ unreachable: { forMs: 10_000 } });
        await transport.settled?.();
        const before = vm.mock.service.history.count();
        expect((await client.begin({ user: 'alice@radmfa.test' })).kind).toBe('network');
        expect(vm.mock.service.history.count()).toBe(before);
        await vm.clock.advance(10_000);
        await transport.settled?.();
        expect(okBody(await client.begin({ user: 'alice@radmfa.test' })).next).toBe('push_sent');
      });

      it('rejects invalid fault settings, naming the field', async () => {
        const reply = await client.setFaults({ latency: { ms: -1 }, drop: { probability: 2 } });
        expect(errorCode(reply)).toBe('REQUEST_FORMAT_ERROR');
        expect(reply.kind === 'error' && reply.body.error.detail).toMatch(/latency\.ms.*drop\.probability/);
      });
    });
  });
}
