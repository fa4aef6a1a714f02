// Reading method results out of a decoded reply.
import { parseErrorMessage, type MppeKeys } from '../../../protocol/auth/index.ts';
import type { DecodedReply, MppeKeysReport, MsChapErrorReport } from './types.ts';

/** First value of a named octets attribute that decoded cleanly (hidden ones revealed). */
export function octetsOf(reply: DecodedReply, name: string): Buffer | undefined {
  const lower = name.toLowerCase();
  const found = reply.attributes.find(
    (attr) => attr.name.toLowerCase() === lower && attr.invalid === undefined,
  );
  return found !== undefined && Buffer.isBuffer(found.value) ? found.value : undefined;
}

/** MS-MPPE-Send-Key and MS-MPPE-Recv-Key, when both are present and decrypt (RFC 2548 2.4.2/2.4.3). */
export function mppeKeysReport(reply: DecodedReply, expected?: MppeKeys): MppeKeysReport | undefined {
  const sendKey = octetsOf(reply, 'MS-MPPE-Send-Key');
  const recvKey = octetsOf(reply, 'MS-MPPE-Recv-Key');
  if (sendKey === undefined || recvKey === undefined) return undefined;
  return {
    sendKey,
    recvKey,
    ...(expected !== undefined
      ? { matchesExpected: sendKey.equals(expected.sendKey) && recvKey.equals(expected.recvKey) }
      : {}),
  };
}

/** An RFC 2759 6 failure text ("E=691 R=0 ..."); unparseable text keeps code 0 and the text. */
export function msChapErrorReport(text: string): MsChapErrorReport {
  const parsed = parseErrorMessage(text);
  if (!parsed.ok) return { errorCode: 0, retry: false, text };
  return {
    errorCode: parsed.value.errorCode,
    retry: parsed.value.retry,
    text,
    ...(parsed.value.message !== undefined ? { message: parsed.value.message } : {}),
  };
}
