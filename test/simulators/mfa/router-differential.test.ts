// The direct router (simulators/mfa/router.ts) against msw's getResponse over the same endpoints:
// two mocks built alike (same tenant, seed and virtual start time, so the same tokens and session
// ids), one served by each transport, the same requests in the same order to both, and every answer
// compared on the wire: status, headers (but Date), body, or a dropped connection. Each endpoint is
// covered with its successes, its refusals and the faults, plus what msw's path matching allows
// (case, trailing slash, a prefix) and the listener's own answers (404, 400, 413).

import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenPath } from '../../../simulators/mfa/api-types.ts';
import { serveMfaMock, type MfaHttpServer } from '../../../simulators/mfa/mock.ts';
import { DEMO_TENANT_ID, MfaTestClient } from './support/client.ts';
import { virtualDemoMock, type VirtualMock } from './support/harness.ts';

interface Side {
  readonly vm: VirtualMock;
  readonly server: MfaHttpServer;
  readonly client: MfaTestClient;
}

interface Step {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string | string[]>>;
  /** A function of the side for bodies that name its URL (a client assertion's audience). */
  readonly body?: string | Buffer | ((side: Side) => Promise<string>);
  /** Send the Authorization header with the side's token. */
  readonly auth?: boolean;
}

type Wire =
  | { readonly dropped: true }
  | {
      readonly status: number;
      readonly headers: Readonly<Record<string, string | string[] | undefined>>;
      readonly body: string;
    };

function send(side: Side, step: Step, body: string | Buffer | undefined): Promise<Wire> {
  const url = new URL(side.server.url);
  const headers: Record<string, string | string[]> = { ...step.headers };
  if (step.auth === true) headers['authorization'] = `Bearer ${side.client.token}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: step.method, path: step.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const { date: _date, ...rest } = res.headers;
          resolve({
            status: res.statusCode ?? 0,
            headers: rest,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.message === 'socket hang up') resolve({ dropped: true });
      else reject(error);
    });
    req.end(body);
  });
}

async function bodyFor(side: Side, step: Step): Promise<string | Buffer | undefined> {
  return typeof step.body === 'function' ? step.body(side) : step.body;
}

const json = { 'content-type': 'application/json' };
const assertion = (side: Side): Promise<string> =>
  side.client.assertion().then((request) => JSON.stringify(request));
const begin = (user: string, method?: string): Step => ({
  name: `begin ${user} ${method ?? ''}`,
  method: 'POST',
  path: '/mfa/v1/authentications',
  headers: json,
  auth: true,
  body: JSON.stringify({ user, ...(method === undefined ? {} : { method }) }),
});
const faults = (settings: unknown): Step => ({
  name: `faults ${JSON.stringify(settings)}`,
  method: 'PUT',
  path: '/_admin/faults',
  headers: json,
  body: JSON.stringify(settings),
});

/** Every endpoint, in an order where later steps see the state earlier ones made. */
const STEPS: readonly Step[] = [
  { name: 'health', method: 'GET', path: '/_admin/health' },
  { name: 'health, HEAD', method: 'HEAD', path: '/_admin/health' },
  { name: 'health, trailing slash and upper case', method: 'GET', path: '/_ADMIN/Health/' },
  { name: 'health under a prefix', method: 'GET', path: '/any/prefix/_admin/health?x=1' },
  // token
  {
    name: 'token, JSON assertion',
    method: 'POST',
    path: tokenPath(DEMO_TENANT_ID),
    headers: json,
    body: assertion,
  },
  {
    name: 'token, form body',
    method: 'POST',
    path: tokenPath(DEMO_TENANT_ID),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'client_id=x&grant_type=client_credentials',
  },
  { name: 'token, empty body', method: 'POST', path: tokenPath(DEMO_TENANT_ID), headers: json, body: '' },
  { name: 'token, not JSON', method: 'POST', path: tokenPath(DEMO_TENANT_ID), headers: json, body: '{' },
  { name: 'token, other tenant', method: 'POST', path: tokenPath('other'), headers: json, body: assertion },
  {
    name: 'token, unknown resource',
    method: 'POST',
    path: `${tokenPath(DEMO_TENANT_ID)}?resource=https://elsewhere`,
    headers: json,
    body: assertion,
  },
  { name: 'token, GET', method: 'GET', path: tokenPath(DEMO_TENANT_ID) },
  // begin
  begin('alice@radmfa.test'),
  begin('erin@radmfa.test'),
  begin('bob@radmfa.test', 'app_code'),
  begin('nobody@radmfa.test'),
  begin('alice@radmfa.test', 'sms'),
  {
    name: 'begin with a BOM',
    method: 'POST',
    path: '/mfa/v1/authentications',
    headers: json,
    auth: true,
    body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"user":"frank@radmfa.test"}')]),
  },
  {
    name: 'begin, no token',
    method: 'POST',
    path: '/mfa/v1/authentications',
    headers: json,
    body: '{"user":"alice@radmfa.test"}',
  },
  {
    name: 'begin, two Authorization headers',
    method: 'POST',
    path: '/mfa/v1/authentications',
    headers: { ...json, authorization: ['Bearer a', 'Bearer b'] },
    body: '{"user":"alice@radmfa.test"}',
  },
  {
    name: 'begin, bad body',
    method: 'POST',
    path: '/mfa/v1/authentications',
    headers: json,
    auth: true,
    body: '{"usr":1}',
  },
  // poll
  { name: 'poll', method: 'GET', path: '/mfa/v1/authentications/ses-000001', auth: true },
  { name: 'poll, wait=0', method: 'GET', path: '/mfa/v1/authentications/ses-000001?wait=0', auth: true },
  { name: 'poll, wait=abc', method: 'GET', path: '/mfa/v1/authentications/ses-000001?wait=abc', auth: true },
  { name: 'poll, unknown session', method: 'GET', path: '/mfa/v1/authentications/ses-999999', auth: true },
  { name: 'poll, encoded id', method: 'GET', path: '/mfa/v1/authentications/ses%2D000002/', auth: true },
  { name: 'poll, bad escape', method: 'GET', path: '/mfa/v1/authentications/%E0%A4%A', auth: true },
  { name: 'poll, no token', method: 'GET', path: '/mfa/v1/authentications/ses-000001' },
  { name: 'poll as DELETE', method: 'DELETE', path: '/mfa/v1/authentications/ses-000001', auth: true },
  // code
  {
    name: 'code, wrong',
    method: 'POST',
    path: '/mfa/v1/authentications/ses-000002/code',
    headers: json,
    auth: true,
    body: '{"code":"000000"}',
  },
  {
    name: 'code, push session',
    method: 'POST',
    path: '/mfa/v1/authentications/ses-000001/code',
    headers: json,
    auth: true,
    body: '{"code":"123456"}',
  },
  {
    name: 'code, not JSON',
    method: 'POST',
    path: '/mfa/v1/authentications/ses-000002/code',
    headers: json,
    auth: true,
    body: 'x',
  },
  // admin
  { name: 'calls', method: 'GET', path: '/_admin/calls' },
  {
    name: 'calls, filtered',
    method: 'GET',
    path: '/_admin/calls?since=3&endpoint=begin&user=alice@radmfa.test',
  },
  { name: 'calls, bad since', method: 'GET', path: '/_admin/calls?since=x' },
  { name: 'calls, bad endpoint', method: 'GET', path: '/_admin/calls?endpoint=nope' },
  { name: 'sms', method: 'GET', path: '/_admin/sms?user=erin@radmfa.test' },
  { name: 'sms, bad since', method: 'GET', path: '/_admin/sms?since=-1' },
  // faults
  { name: 'faults, none', method: 'GET', path: '/_admin/faults' },
  faults({ latency: { ms: -1 }, drop: { probability: 2 } }),
  { name: 'faults, not JSON', method: 'PUT', path: '/_admin/faults', headers: json, body: 'nope' },
  faults({ serverError: { status: 502, times: 1, endpoints: ['begin'] } }),
  begin('alice@radmfa.test'),
  faults({ tokenError: { times: 1 } }),
  {
    name: 'token, injected error',
    method: 'POST',
    path: tokenPath(DEMO_TENANT_ID),
    headers: json,
    body: assertion,
  },
  faults({ drop: { times: 1, endpoints: ['begin'] } }),
  begin('alice@radmfa.test'),
  faults({ drop: { times: 1, endpoints: ['poll'], afterProcessing: true } }),
  {
    name: 'poll, dropped after processing',
    method: 'GET',
    path: '/mfa/v1/authentications/ses-000001',
    auth: true,
  },
  { name: 'faults, after use', method: 'GET', path: '/_admin/faults' },
  { name: 'faults, cleared', method: 'DELETE', path: '/_admin/faults' },
  { name: 'calls at the end', method: 'GET', path: '/_admin/calls' },
  { name: 'calls, cleared', method: 'DELETE', path: '/_admin/calls' },
  { name: 'calls, empty', method: 'GET', path: '/_admin/calls' },
  // the listener's own answers
  { name: 'no endpoint', method: 'GET', path: '/nope' },
  { name: 'no endpoint, POST with a body', method: 'POST', path: '/nope', headers: json, body: '{}' },
  { name: 'TRACE', method: 'TRACE', path: '/_admin/health' },
  { name: 'OPTIONS', method: 'OPTIONS', path: '/_admin/health' },
  {
    name: 'body too large',
    method: 'POST',
    path: '/mfa/v1/authentications',
    headers: json,
    auth: true,
    body: 'x'.repeat(70_000),
  },
];

let router: Side;
let msw: Side;
/** What the steps got (router side), so the last test can check the comparisons were not all alike. */
const seen = new Set<number | 'dropped'>();

async function open(via: 'router' | 'msw'): Promise<Side> {
  const vm = await virtualDemoMock();
  const server = await serveMfaMock(vm.mock, { via });
  return { vm, server, client: new MfaTestClient(server.url, vm.clock) };
}

beforeAll(async () => {
  router = await open('router');
  msw = await open('msw');
  for (const side of [router, msw]) {
    const reply = await side.client.login();
    if (reply.kind !== 'ok') throw new Error(`no token: ${JSON.stringify(reply)}`);
  }
});

afterAll(async () => {
  for (const side of [router, msw]) {
    await side.server.close();
    side.vm.mock.dispose();
  }
});

describe('MFA mock over HTTP: the direct router answers as msw getResponse does', () => {
  it('serves both listeners with the transport asked for, from mocks in the same state', () => {
    expect(router.server.url).not.toBe(msw.server.url);
    expect(router.client.token).toBe(msw.client.token);
  });

  // One test per step, in order: a step's answer depends on the steps before it on both sides.
  for (const step of STEPS) {
    it(`${step.method} ${step.path.slice(0, 60)}: ${step.name}`, async () => {
      const [fromRouter, fromMsw] = [
        await send(router, step, await bodyFor(router, step)),
        await send(msw, step, await bodyFor(msw, step)),
      ];
      expect(fromRouter).toEqual(fromMsw);
      seen.add('dropped' in fromRouter ? 'dropped' : fromRouter.status);
    });
  }

  it('covered every endpoint, a dropped connection and an injected 5xx', () => {
    expect([...seen].sort()).toEqual([200, 201, 204, 400, 401, 404, 413, 422, 502, 'dropped'].sort());
    const calls = router.vm.mock.service.history.list({});
    expect(calls).toEqual([]); // cleared by the last admin steps: the history itself was compared above
    const paths = new Set(STEPS.map((step) => step.path.split('?')[0]));
    for (const path of [
      '/_admin/health',
      tokenPath(DEMO_TENANT_ID),
      '/mfa/v1/authentications',
      '/mfa/v1/authentications/ses-000001',
      '/mfa/v1/authentications/ses-000002/code',
      '/_admin/calls',
      '/_admin/sms',
      '/_admin/faults',
    ])
      expect(paths).toContain(path);
  });
});
