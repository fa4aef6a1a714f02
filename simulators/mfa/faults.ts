// Faults the mock injects, changeable while it runs (in process or through PUT /_admin/faults). Each
// rule can be limited to some endpoints, a probability and a number of uses; draws come from a seeded
// stream so a failing run replays with the same faults on the same calls.

import type { Clock, TimerHandle } from '../../runtime/clock.ts';
import {
  isPlainObject,
  unknownKeyIssues,
  type Issue,
  type PlainObject,
} from '../../runtime/validation/index.ts';
import type { RandomSource } from '../users/random.ts';
import {
  MFA_HOSTS,
  type FaultKind,
  type FaultRule,
  type FaultSettings,
  type MfaEndpoint,
  type MfaHost,
} from './api-types.ts';

const ENDPOINTS: readonly MfaEndpoint[] = ['token', 'begin', 'poll', 'code'];

/** What the faults do to one call, decided when it arrives. */
export interface FaultPlan {
  readonly latencyMs: number;
  readonly action: 'none' | 'drop' | 'drop_after_processing' | 'server_error';
  /** The 5xx status for server_error. */
  readonly status: number;
  readonly applied: readonly FaultKind[];
}

/** The rule after one use: gone when its `times` ran out. */
function usedOnce<T extends FaultRule>(rule: T): T | undefined {
  if (rule.times === undefined) return rule;
  return rule.times <= 1 ? undefined : { ...rule, times: rule.times - 1 };
}

const NO_FAULT: FaultPlan = { latencyMs: 0, action: 'none', status: 200, applied: [] };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class FaultController {
  private current: Mutable<FaultSettings> = {};
  private unreachableTimer: TimerHandle | undefined;
  private readonly listeners = new Set<(reachable: boolean) => void>();

  constructor(
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /** A copy of the active settings (rules used up by `times` are gone). */
  get settings(): FaultSettings {
    return JSON.parse(JSON.stringify(this.current)) as FaultSettings;
  }

  /** Replaces every fault. */
  set(settings: FaultSettings): void {
    const was = this.reachability();
    this.current = JSON.parse(JSON.stringify(settings)) as Mutable<FaultSettings>;
    this.armUnreachableTimer();
    this.notifyIfChanged(was);
  }

  /** Changes only the faults named in `settings`. */
  update(settings: FaultSettings): void {
    const was = this.reachability();
    this.current = { ...this.current, ...(JSON.parse(JSON.stringify(settings)) as FaultSettings) };
    if ('unreachable' in settings) this.armUnreachableTimer();
    this.notifyIfChanged(was);
  }

  clear(): void {
    this.set({});
  }

  /** Whether anything answers: false only when every host is unreachable. */
  get reachable(): boolean {
    return MFA_HOSTS.some((host) => this.isReachable(host));
  }

  /** Whether this host answers (the unreachable fault, for every host or for this one). */
  isReachable(host: MfaHost): boolean {
    const unreachable = this.current.unreachable;
    if (unreachable === undefined) return true;
    return unreachable.hosts !== undefined && !unreachable.hosts.includes(host);
  }

  /**
   * Called whenever a host's reachability changes (the HTTP listeners close or reopen), with whether
   * anything answers; per-host listeners ask isReachable.
   */
  onReachabilityChange(listener: (reachable: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Decides the faults for one call to `endpoint`, using up `times` counters. */
  plan(endpoint: MfaEndpoint): FaultPlan {
    const applied: FaultKind[] = [];
    let latencyMs = 0;
    let action: FaultPlan['action'] = 'none';
    let status = 200;
    const latency = this.current.latency;
    if (latency !== undefined && this.fires(latency, endpoint)) {
      this.current.latency = usedOnce(latency);
      const jitter = latency.jitterMs ?? 0;
      latencyMs = latency.ms + (jitter > 0 ? Math.floor(this.random() * jitter) : 0);
      applied.push('latency');
    }
    const drop = this.current.drop;
    if (drop !== undefined && this.fires(drop, endpoint)) {
      this.current.drop = usedOnce(drop);
      action = drop.afterProcessing === true ? 'drop_after_processing' : 'drop';
      applied.push('drop');
    } else {
      const serverError = this.current.serverError;
      if (serverError !== undefined && this.fires(serverError, endpoint)) {
        this.current.serverError = usedOnce(serverError);
        action = 'server_error';
        status = serverError.status ?? 503;
        applied.push('server_error');
      }
    }
    return applied.length === 0 ? NO_FAULT : { latencyMs, action, status, applied };
  }

  /** Whether this token request gets ESTS_TOKEN_ERROR. */
  tokenErrorNow(): boolean {
    const rule = this.current.tokenError;
    if (rule === undefined || !this.fires(rule, 'token')) return false;
    this.current.tokenError = usedOnce(rule);
    return true;
  }

  /** Cancels the timer that would bring the service back. */
  dispose(): void {
    if (this.unreachableTimer !== undefined) this.clock.clearTimeout(this.unreachableTimer);
    this.unreachableTimer = undefined;
  }

  private fires(rule: FaultRule, endpoint: MfaEndpoint): boolean {
    if (rule.endpoints !== undefined && !rule.endpoints.includes(endpoint)) return false;
    // Always draw, so a rule at probability 1 consumes the stream like one at 0.5 would.
    return this.random() < (rule.probability ?? 1);
  }

  private armUnreachableTimer(): void {
    this.dispose();
    const forMs = this.current.unreachable?.forMs;
    if (forMs === undefined) return;
    this.unreachableTimer = this.clock.setTimeout(() => {
      this.unreachableTimer = undefined;
      const was = this.reachability();
      delete this.current.unreachable;
      this.notifyIfChanged(was);
    }, forMs);
  }

  private reachability(): string {
    return MFA_HOSTS.map((host) => `${host}:${this.isReachable(host)}`).join(',');
  }

  private notifyIfChanged(was: string): void {
    if (this.reachability() === was) return;
    const now = this.reachable;
    for (const listener of [...this.listeners]) listener(now);
  }
}

// ---------------------------------------------------------------- validation of admin input

function validateRule(input: PlainObject, path: string, extra: readonly string[], issues: Issue[]): void {
  issues.push(...unknownKeyIssues(Object.keys(input), path, ['endpoints', 'probability', 'times', ...extra]));
  const endpoints = input['endpoints'];
  if (
    endpoints !== undefined &&
    (!Array.isArray(endpoints) || endpoints.some((e) => !ENDPOINTS.includes(e as MfaEndpoint)))
  ) {
    issues.push({
      path: `${path}.endpoints`,
      message: 'expected a list of endpoints',
      fix: `use ${ENDPOINTS.join(', ')}`,
    });
  }
  const probability = input['probability'];
  if (
    probability !== undefined &&
    (typeof probability !== 'number' || !(probability >= 0 && probability <= 1))
  ) {
    issues.push({
      path: `${path}.probability`,
      message: 'expected a number in [0, 1]',
      fix: 'write 0.5 for half the calls',
    });
  }
  const times = input['times'];
  if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 1)) {
    issues.push({
      path: `${path}.times`,
      message: 'expected an integer >= 1',
      fix: 'write times: 1 to fail only the next call',
    });
  }
}

function nonNegative(
  input: PlainObject,
  key: string,
  path: string,
  required: boolean,
  issues: Issue[],
): void {
  const value = input[key];
  if (value === undefined && !required) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    issues.push({
      path: `${path}.${key}`,
      message: `expected milliseconds >= 0, got ${JSON.stringify(value)}`,
      fix: 'write a number of milliseconds',
    });
  }
}

/** Checks fault settings received as JSON; every issue at once. */
export function validateFaultSettings(
  input: unknown,
):
  { readonly ok: true; readonly settings: FaultSettings } | { readonly ok: false; readonly issues: Issue[] } {
  const issues: Issue[] = [];
  if (!isPlainObject(input)) {
    return {
      ok: false,
      issues: [
        { path: '(body)', message: 'expected a JSON object', fix: 'send e.g. {"latency":{"ms":500}}' },
      ],
    };
  }
  issues.push(
    ...unknownKeyIssues(Object.keys(input), '', [
      'latency',
      'serverError',
      'tokenError',
      'drop',
      'unreachable',
    ]),
  );
  const sections: readonly [string, readonly string[]][] = [
    ['latency', ['ms', 'jitterMs']],
    ['serverError', ['status']],
    ['tokenError', []],
    ['drop', ['afterProcessing']],
  ];
  for (const [key, extra] of sections) {
    const section = input[key];
    if (section === undefined) continue;
    if (!isPlainObject(section)) {
      issues.push({ path: key, message: 'expected an object', fix: `write ${key}: {}` });
      continue;
    }
    validateRule(section, key, extra, issues);
    if (key === 'latency') {
      nonNegative(section, 'ms', key, true, issues);
      nonNegative(section, 'jitterMs', key, false, issues);
    }
    const after = section['afterProcessing'];
    if (after !== undefined && typeof after !== 'boolean') {
      issues.push({
        path: `${key}.afterProcessing`,
        message: 'expected true or false',
        fix: 'write afterProcessing: true',
      });
    }
    const status = section['status'];
    if (
      key === 'serverError' &&
      status !== undefined &&
      (typeof status !== 'number' || !Number.isInteger(status) || status < 500 || status > 599)
    ) {
      issues.push({
        path: 'serverError.status',
        message: `expected a 5xx status, got ${JSON.stringify(status)}`,
        fix: 'use 500, 502, 503 or 504',
      });
    }
  }
  const unreachable = input['unreachable'];
  if (unreachable !== undefined) {
    if (!isPlainObject(unreachable)) {
      issues.push({
        path: 'unreachable',
        message: 'expected an object',
        fix: 'write unreachable: {} or { forMs: 5000 }',
      });
    } else {
      issues.push(...unknownKeyIssues(Object.keys(unreachable), 'unreachable', ['forMs', 'hosts']));
      nonNegative(unreachable, 'forMs', 'unreachable', false, issues);
      const hosts = unreachable['hosts'];
      if (
        hosts !== undefined &&
        (!Array.isArray(hosts) || hosts.length === 0 || hosts.some((h) => !MFA_HOSTS.includes(h as MfaHost)))
      ) {
        issues.push({
          path: 'unreachable.hosts',
          message: `expected a non-empty list of ${MFA_HOSTS.join(', ')}, got ${JSON.stringify(hosts)}`,
          fix: 'write hosts: [sts] for the token service, [mfa] for the MFA service',
        });
      }
    }
  }
  return issues.length === 0 ? { ok: true, settings: input } : { ok: false, issues };
}
