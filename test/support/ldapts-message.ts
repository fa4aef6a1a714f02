// LDAPMessages written with ldapts's BerWriter, so tests of radmfa's own LDAP decoder read bytes
// that come from another encoder.
import { BerWriter } from 'ldapts';

/** An LDAPMessage: messageID, then the protocol operation `op` whose body `body` writes. */
export function ldaptsMessage(messageId: number, op: number, body: (w: BerWriter) => void): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(messageId);
  w.startSequence(op);
  body(w);
  w.endSequence();
  w.endSequence();
  return Buffer.from(w.buffer);
}
