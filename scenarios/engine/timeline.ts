// The packet timeline of a case (the sequence diagram reports draw): datagrams between the case's
// sockets and the server, what the server did with them, and what it asked the MFA service. Labels
// name codes, identifiers and reasons; they never carry a password, a secret or an MFA code.
import { decodePacket, packetCodeLabel } from '../../protocol/index.ts';
import type { ServerEventMap } from '../../reference/events.ts';
import type { CallRecord } from '../../protocol/mfa-api.ts';
import type { TraceEvent } from '../../simulators/nas/index.ts';
import type { TimelineEvent } from '../result.ts';
import type { TappedDatagram } from './tap.ts';

export type ServerEventRecord = {
  [K in 'duplicate' | 'packet-dropped' | 'access' | 'accounting']: {
    readonly at: number;
    readonly name: K;
    readonly payload: ServerEventMap[K];
  };
}['duplicate' | 'packet-dropped' | 'access' | 'accounting'];

export interface TimelineInput {
  readonly origin: number;
  readonly datagrams: readonly TappedDatagram[];
  readonly trace: readonly TraceEvent[];
  readonly serverEvents: readonly ServerEventRecord[];
  readonly mfaCalls: readonly CallRecord[];
}

function datagramLabel(data: Buffer): string {
  const decoded = decodePacket(data);
  if (!decoded.ok) return `malformed datagram (${data.length} octets)`;
  return `${packetCodeLabel(decoded.value.code)} id=${decoded.value.identifier}`;
}

function datagramEvents(input: TimelineInput): TimelineEvent[] {
  const seen = new Set<string>();
  return input.datagrams.map((d) => {
    const key = `${d.local.address}:${d.local.port}|${d.data.toString('base64')}`;
    const repeat = d.direction === 'out' && seen.has(key);
    seen.add(key);
    return {
      atMs: d.at - input.origin,
      from: d.direction === 'out' ? 'nas' : 'server',
      to: d.direction === 'out' ? 'server' : 'nas',
      label: `${datagramLabel(d.data)}${repeat ? ' (retransmission)' : ''}`,
      tone: repeat ? 'retransmit' : 'normal',
    };
  });
}

function traceEvents(input: TimelineInput): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  for (const event of input.trace) {
    const atMs = event.at - input.origin;
    if (event.kind === 'timeout') {
      out.push({
        atMs,
        from: 'nas',
        to: 'nas',
        label: `timeout after ${event.waitedMs} ms`,
        tone: 'timeout',
      });
    } else if (event.kind === 'give-up') {
      out.push({
        atMs,
        from: 'nas',
        to: 'nas',
        label: `gave up after ${event.transmissions} transmission(s)`,
        tone: 'error',
      });
    } else if (event.kind === 'invalid-reply') {
      out.push({ atMs, from: 'server', to: 'nas', label: `reply ignored: ${event.reason}`, tone: 'discard' });
    }
  }
  return out;
}

function serverEvents(input: TimelineInput): TimelineEvent[] {
  return input.serverEvents.map((record): TimelineEvent => {
    const atMs = record.at - input.origin;
    switch (record.name) {
      case 'duplicate':
        return {
          atMs,
          from: 'server',
          to: 'server',
          label: `${record.payload.action} duplicate (${record.payload.reason})`,
          tone: 'discard',
        };
      case 'packet-dropped':
        return {
          atMs,
          from: 'server',
          to: 'server',
          label: `dropped: ${record.payload.reason}`,
          tone: 'discard',
        };
      case 'access':
        return {
          atMs,
          from: 'server',
          to: 'server',
          label: `${record.payload.outcome} (${record.payload.reason})`,
          tone: record.payload.outcome === 'reject' ? 'error' : 'normal',
        };
      case 'accounting':
        return {
          atMs,
          from: 'server',
          to: 'server',
          label: record.payload.stored
            ? 'accounting record stored'
            : 'accounting record not stored (duplicate)',
          tone: 'normal',
        };
    }
  });
}

function mfaEvents(input: TimelineInput): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  for (const call of input.mfaCalls) {
    // Polls repeat every second or so; the begin, the code check and the answers tell the story.
    if (call.endpoint === 'poll' || call.endpoint === 'token') continue;
    const what = call.endpoint === 'begin' ? `begin ${call.method ?? 'default method'}` : 'code check';
    out.push({
      atMs: call.receivedAt - input.origin,
      from: 'server',
      to: 'mfa',
      label: what,
      tone: 'normal',
    });
    if (call.respondedAt !== undefined) {
      out.push({
        atMs: call.respondedAt - input.origin,
        from: 'mfa',
        to: 'server',
        label: `${call.endpoint}: ${call.result ?? String(call.httpStatus ?? '')}`,
        tone: call.httpStatus !== undefined && call.httpStatus >= 400 ? 'error' : 'normal',
      });
    }
  }
  return out;
}

export function buildTimeline(input: TimelineInput): TimelineEvent[] {
  return [...datagramEvents(input), ...traceEvents(input), ...serverEvents(input), ...mfaEvents(input)]
    .map((e) => ({ ...e, atMs: Math.max(0, Math.round(e.atMs)) }))
    .sort((a, b) => a.atMs - b.atMs);
}
