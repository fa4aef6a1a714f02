// From the packets a NAS sent and the prompts the MFA mock saw to a verdict per NAS: how long it
// waits, how often it transmits, how it retransmits, what it puts in its requests, and what that means
// for MFA. Pure: packets and prompts in, the `nas` and `users` sections of the result out.
import { PacketCode } from '../../protocol/index.ts';
import type { PacketView } from './packets.ts';
import { probeUser, type ProbeExpectation, type ProbeUser } from './probe.ts';
import {
  NAS_CHECKS,
  type BackoffShape,
  type NasCheck,
  type NasCheckId,
  type NasEntry,
  type ProbeOutcome,
  type ProbeUserResult,
  type TimeoutAdvice,
  type Verdict,
} from './result.ts';

/** An MFA prompt (push, call, SMS) the mock was asked for. */
export interface PromptRecord {
  readonly at: number;
  /** The probe user's name (or UPN). */
  readonly user: string;
  readonly method?: string;
}

export interface AnalysisInput {
  readonly packets: readonly PacketView[];
  readonly prompts: readonly PromptRecord[];
  readonly users: readonly ProbeUser[];
  /** A secondary instance was running (failover could be seen). */
  readonly secondary: boolean;
}

/** The seed's figure: a NAS should wait at least this long for an MFA login. */
export const SEED_MIN_WAIT_MS = 60_000;
/** Under this a NAS fails ordinary pushes, not only slow ones. */
const HARD_MIN_WAIT_MS = 30_000;
/** Margin the advice adds over the MFA response time: the server's own work and the network. */
export const ADVICE_MARGIN_MS = 5_000;
/** MFA response times the advice is given for (the probe users' and the seed's). */
export const ADVICE_RESPONSE_TIMES_MS: readonly number[] = [10_000, 30_000, 45_000, 60_000, 90_000];
/** Relative tolerance when telling equal waits from doubling ones. */
const SAME_WAIT_TOLERANCE = 0.15;
/** A request built anew this long after the previous one is a new login, not a retransmission. */
const MAX_RETRY_GAP_MS = 300_000;

interface Transmission {
  readonly at: number;
  readonly server: PacketView['server'];
}

/** One Access-Request as the NAS built it (its retransmissions are further transmissions). */
interface Request {
  readonly first: PacketView;
  readonly transmissions: Transmission[];
  reply?: PacketView;
}

/** One login round as the NAS meant it: a request, its retransmissions, naive rebuilds and failovers. */
interface Attempt {
  readonly nas: string;
  readonly user: string;
  readonly stateDigest?: string;
  readonly requests: Request[];
}

const isAccessRequest = (p: PacketView): boolean =>
  p.direction === 'from-nas' && p.code === PacketCode.AccessRequest && p.malformed === undefined;

const isAccessReply = (p: PacketView): boolean =>
  p.direction === 'to-nas' &&
  (p.code === PacketCode.AccessAccept ||
    p.code === PacketCode.AccessReject ||
    p.code === PacketCode.AccessChallenge);

const requestKey = (p: PacketView): string => `${p.server}|${p.nasPort}|${p.identifier}|${p.authenticator}`;
const replyKey = (p: PacketView): string => `${p.server}|${p.nasPort}|${p.identifier}`;

/** Distinct requests of one NAS, each with every transmission and the server's reply. */
function requestsOf(packets: readonly PacketView[]): Request[] {
  const byKey = new Map<string, Request>();
  const open = new Map<string, Request>();
  const requests: Request[] = [];
  for (const packet of packets) {
    if (isAccessRequest(packet)) {
      const key = requestKey(packet);
      const known = byKey.get(key);
      if (known !== undefined) {
        known.transmissions.push({ at: packet.at, server: packet.server });
        continue;
      }
      const request: Request = { first: packet, transmissions: [{ at: packet.at, server: packet.server }] };
      byKey.set(key, request);
      open.set(replyKey(packet), request);
      requests.push(request);
    } else if (isAccessReply(packet)) {
      const request = open.get(replyKey(packet));
      if (request !== undefined && request.reply === undefined) request.reply = packet;
    }
  }
  return requests;
}

/** Chains requests into attempts: a rebuilt request for the same user and State while the last is unanswered. */
function attemptsOf(nas: string, requests: readonly Request[]): Attempt[] {
  const attempts: Attempt[] = [];
  const latest = new Map<string, Attempt>();
  for (const request of requests) {
    const user = request.first.userName ?? '';
    const key = `${user}|${request.first.stateDigest ?? ''}`;
    const previous = latest.get(key);
    const last = previous?.requests.at(-1);
    const lastAt = last?.transmissions.at(-1)?.at ?? Number.NEGATIVE_INFINITY;
    const unanswered = last !== undefined && (last.reply === undefined || last.reply.at > request.first.at);
    if (previous !== undefined && unanswered && request.first.at - lastAt <= MAX_RETRY_GAP_MS) {
      previous.requests.push(request);
      continue;
    }
    const attempt: Attempt = {
      nas,
      user,
      ...(request.first.stateDigest !== undefined ? { stateDigest: request.first.stateDigest } : {}),
      requests: [request],
    };
    attempts.push(attempt);
    latest.set(key, attempt);
  }
  return attempts;
}

const transmissionsOf = (attempt: Attempt): Transmission[] =>
  attempt.requests.flatMap((r) => r.transmissions).sort((a, b) => a.at - b.at);

function intervals(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] ?? t));
}

/** Transmissions to the busiest server of an attempt: retransmissions (same) or rebuilds (naive). */
function perServerCount(attempt: Attempt): number {
  const counts = new Map<string, number>();
  for (const t of transmissionsOf(attempt)) counts.set(t.server, (counts.get(t.server) ?? 0) + 1);
  return Math.max(...counts.values());
}

const failoversIn = (attempt: Attempt): number =>
  transmissionsOf(attempt).reduce(
    (n, t, i, all) => (i > 0 && all[i - 1]?.server !== t.server ? n + 1 : n),
    0,
  );

function shapeOf(waits: readonly number[]): BackoffShape {
  if (waits.length === 0) return 'single';
  const first = waits[0] ?? 0;
  if (waits.every((w) => Math.abs(w - first) <= first * SAME_WAIT_TOLERANCE)) return 'fixed';
  // The last wait of an RFC 5080 schedule is cut short by MRD or capped by MRT: judge the others.
  const growing = waits.slice(0, -1);
  const doubles = growing.slice(1).every((w, i) => {
    const before = growing[i] ?? w;
    return w >= before * (2 - 2 * SAME_WAIT_TOLERANCE) && w <= before * (2 + 2 * SAME_WAIT_TOLERANCE);
  });
  return growing.length >= 2 && doubles ? 'exponential' : 'irregular';
}

interface Timing {
  readonly timeoutMs: number | null;
  readonly transmissions: number | null;
  readonly giveUpMs: number | null;
  readonly intervalsMs: readonly number[];
  readonly backoff: BackoffShape;
}

/**
 * Timing from the attempt with the most transmissions. The waits between its transmissions are the
 * NAS's timeouts (a failover's gap too: the NAS gave up on the primary). The last wait on a server is
 * seen only when it failed over; otherwise it is taken to be the one before, as in a fixed schedule.
 */
function timingOf(attempts: readonly Attempt[]): Timing {
  const longest = [...attempts].sort((a, b) => transmissionsOf(b).length - transmissionsOf(a).length)[0];
  if (longest === undefined) {
    return { timeoutMs: null, transmissions: null, giveUpMs: null, intervalsMs: [], backoff: 'single' };
  }
  const times = transmissionsOf(longest).map((t) => t.at);
  const waits = intervals(times);
  const transmissions = perServerCount(longest);
  if (waits.length === 0) {
    return { timeoutMs: null, transmissions, giveUpMs: null, intervalsMs: [], backoff: 'single' };
  }
  const primaryWaits = waits.slice(0, transmissions);
  const seenLast = primaryWaits.length >= transmissions;
  // The mean, not one wait: a client that polls its timers (radclient) wakes late once and early the
  // next time, and the span from first to last transmission is what its timeout adds up to.
  const mean = Math.round(primaryWaits.reduce((sum, w) => sum + w, 0) / primaryWaits.length);
  const shape = shapeOf(primaryWaits);
  const perServer = seenLast
    ? primaryWaits
    : [...primaryWaits, shape === 'fixed' ? mean : (primaryWaits.at(-1) ?? 0)];
  const backoff = shapeOf(perServer);
  return {
    timeoutMs: backoff === 'fixed' ? mean : (perServer[0] ?? null),
    transmissions,
    giveUpMs: perServer.reduce((sum, w) => sum + w, 0),
    intervalsMs: waits,
    backoff,
  };
}

/** Naive when any attempt rebuilt its request on the same server; same when one was retransmitted. */
function retransmissionOf(attempts: readonly Attempt[]): 'same' | 'naive' | null {
  const rebuilt = attempts.some((a) => {
    const servers = a.requests.map((r) => r.first.server);
    return servers.some((s, i) => i > 0 && servers[i - 1] === s);
  });
  if (rebuilt) return 'naive';
  return attempts.some((a) => a.requests.some((r) => r.transmissions.length > 1)) ? 'same' : null;
}

/** Each prompt belongs to the latest request of its user that arrived before it, from any NAS. */
type PromptIndex = ReadonlyMap<Request, readonly PromptRecord[]>;

function indexPrompts(requests: readonly Request[], prompts: readonly PromptRecord[]): PromptIndex {
  const index = new Map<Request, PromptRecord[]>();
  const byUser = new Map<string, Request[]>();
  for (const request of requests) {
    const name = probeUser(request.first.userName ?? '')?.name ?? request.first.userName ?? '';
    byUser.set(name, [...(byUser.get(name) ?? []), request]);
  }
  for (const prompt of prompts) {
    const candidates = byUser.get(probeUser(prompt.user)?.name ?? prompt.user) ?? [];
    let owner: Request | undefined;
    for (const request of candidates) {
      if (request.first.at <= prompt.at && (owner === undefined || request.first.at >= owner.first.at))
        owner = request;
    }
    if (owner !== undefined) index.set(owner, [...(index.get(owner) ?? []), prompt]);
  }
  return index;
}

const promptsFor = (attempt: Attempt, index: PromptIndex): readonly PromptRecord[] =>
  attempt.requests.flatMap((r) => index.get(r) ?? []);

const check = (id: NasCheckId, verdict: Verdict, detail: string): NasCheck => ({
  id,
  verdict,
  why: NAS_CHECKS[id].why,
  detail,
});

// Tenths of a second, without a trailing ".0": "9 s", "2.1 s".
const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

function timeoutCheck(timing: Timing, retransmission: 'same' | 'naive' | null): NasCheck {
  // A naive NAS prompts again on each rebuild, so only its first wait protects the user.
  const effective = retransmission === 'naive' ? timing.timeoutMs : timing.giveUpMs;
  if (effective === null)
    return check(
      'timeout-covers-mfa',
      'warn',
      'not measured: no retransmission or failover was seen; log in as probe-never and wait until the NAS gives up',
    );
  const what =
    retransmission === 'naive'
      ? `waits ${seconds(effective)} before it rebuilds the request`
      : `waits ${seconds(effective)} in all`;
  if (effective >= SEED_MIN_WAIT_MS) return check('timeout-covers-mfa', 'pass', `${what} (at least 60 s)`);
  return check(
    'timeout-covers-mfa',
    effective >= HARD_MIN_WAIT_MS ? 'warn' : 'fail',
    `${what}: users slower than that fail their MFA login; the seed asks for at least 60 s`,
  );
}

function adviceOf(timing: Timing, retransmission: 'same' | 'naive' | null): TimeoutAdvice[] {
  const transmissions = retransmission === 'naive' ? 1 : (timing.transmissions ?? 1);
  const window = retransmission === 'naive' ? timing.timeoutMs : timing.giveUpMs;
  return ADVICE_RESPONSE_TIMES_MS.map((mfaResponseMs) => ({
    mfaResponseMs,
    neededTimeoutMs: Math.ceil((mfaResponseMs + ADVICE_MARGIN_MS) / transmissions / 1000) * 1000,
    meets: window !== null && window >= mfaResponseMs + ADVICE_MARGIN_MS,
  }));
}

function placementCheck(requests: readonly PacketView[]): {
  placement: NasEntry['messageAuthenticator'];
  check: NasCheck;
} {
  const placements = new Set(requests.map((p) => p.messageAuthenticator));
  const placement = placements.has('absent') ? 'absent' : placements.has('present') ? 'present' : 'first';
  const n = requests.length;
  const counted = (kind: string): number => requests.filter((p) => p.messageAuthenticator === kind).length;
  if (placement === 'first')
    return { placement, check: check('message-authenticator', 'pass', `first in all ${n} Access-Requests`) };
  if (placement === 'present')
    return {
      placement,
      check: check(
        'message-authenticator',
        'warn',
        `present but not first in ${counted('present')} of ${n} Access-Requests`,
      ),
    };
  return {
    placement,
    check: check('message-authenticator', 'fail', `absent from ${counted('absent')} of ${n} Access-Requests`),
  };
}

function identificationCheck(requests: readonly PacketView[]): NasCheck {
  const missing = requests.filter(
    (p) => p.nasIpAddress === undefined && p.nasIpv6Address === undefined && p.nasIdentifier === undefined,
  ).length;
  if (missing > 0)
    return check(
      'nas-identification',
      'fail',
      `${missing} of ${requests.length} Access-Requests carry neither NAS-IP-Address nor NAS-Identifier`,
    );
  const withIp = requests.every((p) => p.nasIpAddress !== undefined || p.nasIpv6Address !== undefined);
  return withIp
    ? check('nas-identification', 'pass', 'every Access-Request carries NAS-IP-Address')
    : check(
        'nas-identification',
        'pass',
        'NAS-Identifier only: IP_WHITELIST (skip MFA by NAS address) cannot match these requests',
      );
}

function challengeCheck(attempts: readonly Attempt[], requests: readonly Request[]): NasCheck {
  const challenged = attempts
    .flatMap((a) => a.requests)
    // EAP's Access-Challenges are steps of the method, not a code prompt.
    .filter((r) => r.reply?.code === PacketCode.AccessChallenge && r.first.auth !== 'eap');
  if (challenged.length === 0)
    return check(
      'challenge-handling',
      'warn',
      'not tested: log in as probe-code to receive an Access-Challenge',
    );
  const problems: string[] = [];
  let answered = 0;
  for (const request of challenged) {
    const reply = request.reply;
    if (reply === undefined) continue;
    // Requests are in arrival order; the answer may come at the same instant (a scripted user).
    const next = requests
      .slice(requests.indexOf(request) + 1)
      .find((r) => r.first.at >= reply.at && r.first.userName === request.first.userName);
    if (next === undefined) {
      problems.push(
        `no answer to the challenge for ${request.first.userName ?? '?'} (the NAS took it as final)`,
      );
      continue;
    }
    if (next.first.stateDigest === undefined) problems.push('the answer to a challenge carries no State');
    else if (next.first.stateDigest !== reply.stateDigest)
      problems.push('the answer to a challenge carries a modified State');
    else if (next.first.auth !== 'pap') problems.push('the code did not come in User-Password');
    else answered++;
  }
  if (problems.length > 0) return check('challenge-handling', 'fail', problems.join('; '));
  return check(
    'challenge-handling',
    'pass',
    `${answered} challenge(s) answered with the State unmodified and the code in User-Password`,
  );
}

function secondPromptChecks(
  attempts: readonly Attempt[],
  prompts: PromptIndex,
  secondary: boolean,
): NasCheck[] {
  const multi = attempts.filter((a) => a.stateDigest === undefined && promptsFor(a, prompts).length > 1);
  const failedOver = attempts.filter((a) => failoversIn(a) > 0);
  const secondByFailover = failedOver.filter((a) => promptsFor(a, prompts).length > 1);
  const out: NasCheck[] = [
    multi.length > 0
      ? check(
          'no-second-prompt',
          'fail',
          `${multi.length} login(s) prompted more than once: ${multi.map((a) => `${a.user} (${promptsFor(a, prompts).length} prompts)`).join(', ')}`,
        )
      : check('no-second-prompt', 'pass', `${attempts.length} login round(s), none prompted twice`),
  ];
  if (!secondary) {
    out.push(
      check(
        'failover-second-prompt',
        'warn',
        'not tested: run with --secondary-port and give the NAS both servers',
      ),
    );
  } else if (failedOver.length === 0) {
    out.push(
      check(
        'failover-second-prompt',
        'warn',
        'no failover seen: log in as probe-never or probe-approve-90s so the NAS gives up on the primary',
      ),
    );
  } else if (secondByFailover.length > 0) {
    out.push(
      check(
        'failover-second-prompt',
        'fail',
        `failover caused a second MFA prompt in ${secondByFailover.length} of ${failedOver.length} failover(s) (${secondByFailover.map((a) => a.user).join(', ')})`,
      ),
    );
  } else {
    out.push(
      check('failover-second-prompt', 'pass', `${failedOver.length} failover(s), none prompted again`),
    );
  }
  return out;
}

function accountingOf(packets: readonly PacketView[]): NasEntry['accounting'] {
  const requests = packets.filter(
    (p) => p.direction === 'from-nas' && p.code === PacketCode.AccountingRequest,
  );
  const count = (type: number): number => requests.filter((p) => p.acctStatusType === type).length;
  const start = count(1);
  const stop = count(2);
  const interim = count(3);
  return { start, stop, interim, other: requests.length - start - stop - interim };
}

function expectationText(e: ProbeExpectation): string {
  switch (e.kind) {
    case 'approve':
      return `${e.method === 'push' ? 'push' : 'phone call'} approved after ${seconds(e.afterMs)}`;
    case 'deny':
      return `push denied after ${seconds(e.afterMs)}`;
    case 'never':
      return 'push never answered';
    case 'code':
      return 'SMS code (Access-Challenge)';
  }
}

function userResult(
  nas: string,
  user: ProbeUser,
  attempts: readonly Attempt[],
  packets: readonly PacketView[],
  prompts: PromptIndex,
  timing: Timing,
): ProbeUserResult {
  const mine = attempts.filter((a) => probeUser(a.user)?.name === user.name);
  const base = { user: user.name, nas, expectation: expectationText(user.expectation) };
  if (mine.length === 0)
    return { ...base, outcome: 'not-tried', success: false, attempts: 0, packets: 0, prompts: 0 };
  const last = mine.at(-1) as Attempt;
  const replies = last.requests.flatMap((r) => (r.reply !== undefined ? [r.reply] : []));
  const final = replies.at(-1);
  const lastSent = transmissionsOf(last).at(-1)?.at ?? 0;
  // The NAS still listens for `lastWait` after its last transmission (for a naive NAS, to each request).
  const lastWait = timing.intervalsMs.at(-1) ?? timing.timeoutMs;
  let outcome: ProbeOutcome = 'no-answer';
  if (final?.code === PacketCode.AccessAccept)
    outcome = lastWait !== null && final.at > lastSent + lastWait ? 'late-accept' : 'accept';
  else if (final?.code === PacketCode.AccessReject) outcome = 'reject';
  else if (final?.code === PacketCode.AccessChallenge) outcome = 'challenge';
  const names = new Set(mine.map((a) => a.user));
  const userPackets = packets.filter(
    (p) =>
      (p.userName !== undefined && names.has(p.userName)) ||
      mine.some((a) => a.requests.some((r) => r.reply === p)),
  );
  const first = transmissionsOf(mine[0] as Attempt)[0]?.at ?? 0;
  return {
    ...base,
    outcome,
    success: outcome === 'accept',
    attempts: mine.length,
    packets: userPackets.length,
    prompts: new Set(mine.flatMap((a) => promptsFor(a, prompts))).size,
    ...(final !== undefined ? { durationMs: final.at - first } : {}),
    authMethod: mine[0]?.requests[0]?.first.auth ?? 'none',
  };
}

export interface NasAnalysis {
  readonly nas: NasEntry[];
  readonly users: ProbeUserResult[];
}

/** One entry per NAS address, in order of first appearance; users per NAS, in the probe's order. */
export function analyse(input: AnalysisInput): NasAnalysis {
  const addresses = [...new Set(input.packets.filter((p) => p.direction === 'from-nas').map((p) => p.nas))];
  const nas: NasEntry[] = [];
  const users: ProbeUserResult[] = [];
  const packetsOf = new Map(
    addresses.map((address) => [
      address,
      input.packets.filter((p) => p.nas === address).sort((a, b) => a.at - b.at),
    ]),
  );
  const requestsByNas = new Map([...packetsOf].map(([address, packets]) => [address, requestsOf(packets)]));
  const prompts = indexPrompts([...requestsByNas.values()].flat(), input.prompts);
  for (const address of addresses) {
    const packets = packetsOf.get(address) ?? [];
    const requests = requestsByNas.get(address) ?? [];
    const attempts = attemptsOf(address, requests);
    // Timing is measured on first rounds only: a reply to a challenge waits on a human typing.
    const timing = timingOf(attempts.filter((a) => a.stateDigest === undefined));
    const retransmission = retransmissionOf(attempts);
    const accessRequests = packets.filter(isAccessRequest);
    const ma = placementCheck(accessRequests);
    const statusServer = packets.filter(
      (p) => p.direction === 'from-nas' && p.code === PacketCode.StatusServer,
    ).length;
    const accounting = accountingOf(packets);
    const accountingTotal = accounting.start + accounting.stop + accounting.interim + accounting.other;
    const withCalling = accessRequests.filter((p) => p.callingStationId !== undefined).length;
    const firstWith = <K extends 'nasIpAddress' | 'nasIdentifier'>(key: K): string | undefined =>
      accessRequests.find((p) => p[key] !== undefined)?.[key];
    const nasIpAddress = firstWith('nasIpAddress');
    const nasIdentifier = firstWith('nasIdentifier');
    const checks: NasCheck[] = [
      timeoutCheck(timing, retransmission),
      retransmission === 'naive'
        ? check(
            'retransmission-same',
            'fail',
            'retransmissions are new requests (new Identifier and Request Authenticator)',
          )
        : retransmission === 'same'
          ? check(
              'retransmission-same',
              'pass',
              'retransmissions repeat the Identifier and Request Authenticator',
            )
          : check('retransmission-same', 'warn', 'no retransmission seen: log in as probe-never'),
      ...secondPromptChecks(attempts, prompts, input.secondary),
      ma.check,
      accessRequests.length === 0
        ? check('nas-identification', 'warn', 'no Access-Request seen')
        : identificationCheck(accessRequests),
      accessRequests.length > 0 && withCalling === accessRequests.length
        ? check('calling-station-id', 'pass', 'every Access-Request carries Calling-Station-Id')
        : check(
            'calling-station-id',
            'warn',
            `${accessRequests.length - withCalling} of ${accessRequests.length} Access-Requests lack Calling-Station-Id`,
          ),
      challengeCheck(attempts, requests),
      statusServer > 0
        ? check('status-server', 'pass', `${statusServer} Status-Server request(s)`)
        : check(
            'status-server',
            'warn',
            'no Status-Server seen: the NAS can only find a dead server by failing a login',
          ),
      accountingTotal > 0
        ? check(
            'accounting',
            accounting.start > 0 && accounting.stop > 0 ? 'pass' : 'warn',
            `Start ${accounting.start}, Stop ${accounting.stop}, Interim ${accounting.interim}`,
          )
        : check(
            'accounting',
            'warn',
            'no Accounting-Request seen (point the NAS at the accounting port, or log out after a login)',
          ),
    ];
    nas.push({
      address,
      timeoutMs: timing.timeoutMs,
      transmissions: timing.transmissions,
      giveUpMs: timing.giveUpMs,
      intervalsMs: timing.intervalsMs,
      backoff: timing.backoff,
      retransmission,
      messageAuthenticator: ma.placement,
      ...(nasIpAddress !== undefined ? { nasIpAddress } : {}),
      ...(nasIdentifier !== undefined ? { nasIdentifier } : {}),
      callingStationId: accessRequests.length > 0 && withCalling === accessRequests.length,
      authMethods: [...new Set(accessRequests.map((p) => p.auth))],
      statusServer,
      accounting,
      failovers: attempts.reduce((n, a) => n + failoversIn(a), 0),
      packets: packets.length,
      advice: adviceOf(timing, retransmission),
      checks,
    });
    for (const user of input.users) {
      const result = userResult(address, user, attempts, packets, prompts, timing);
      if (result.outcome !== 'not-tried') users.push(result);
    }
  }
  return { nas, users };
}

/** Pass / warn / fail counts over every NAS's checks. */
export function summarise(nas: readonly NasEntry[]): {
  checks: number;
  pass: number;
  warn: number;
  fail: number;
} {
  const all = nas.flatMap((n) => n.checks);
  const count = (v: Verdict): number => all.filter((c) => c.verdict === v).length;
  return { checks: all.length, pass: count('pass'), warn: count('warn'), fail: count('fail') };
}
