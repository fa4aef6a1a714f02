// Text messages the mock "sent": the only way a test, the simulated NAS or a human at a terminal can
// learn the code an SMS user would read on their phone.

import type { SmsMessage } from './api-types.ts';

export interface SmsFilter {
  /** UPN, case-insensitive. */
  readonly user?: string;
  readonly since?: number;
  readonly sessionId?: string;
}

function matches(message: SmsMessage, filter: SmsFilter): boolean {
  return (
    (filter.user === undefined || message.user.toLowerCase() === filter.user.toLowerCase()) &&
    (filter.since === undefined || message.seq > filter.since) &&
    (filter.sessionId === undefined || message.sessionId === filter.sessionId)
  );
}

export class SmsOutbox {
  private messages: SmsMessage[] = [];
  private nextSeq = 1;

  constructor(private readonly limit = 10_000) {}

  send(message: Omit<SmsMessage, 'seq'>): SmsMessage {
    const sent: SmsMessage = { seq: this.nextSeq++, ...message };
    this.messages.push(sent);
    if (this.messages.length > this.limit)
      this.messages.splice(0, this.messages.length - Math.floor(this.limit * 0.9));
    return sent;
  }

  list(filter: SmsFilter = {}): SmsMessage[] {
    return this.messages.filter((message) => matches(message, filter));
  }

  /** The newest message matching `filter`: "what code did erin just get?" */
  latest(filter: SmsFilter = {}): SmsMessage | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const message = this.messages[i];
      if (message !== undefined && matches(message, filter)) return message;
    }
    return undefined;
  }

  clear(): void {
    this.messages = [];
  }
}
