// The parts of a reply that depend on which server the reference plays (config.personality and its
// overrides): the wording of a code challenge, a Reply-Message on Access-Reject, and whether the
// reply carries Message-Authenticator. Pure functions over a decided AccessResult; no decisions here.
import {
  EAP_MESSAGE_TYPE,
  MESSAGE_AUTHENTICATOR_TYPE,
  type AttributeInput,
  type RawAttribute,
} from '../protocol/index.ts';
import type { AccessResult } from './access/access-handler.ts';
import type { RepliesConfig } from './config/server-config.ts';
import { renderCodePrompt } from './config/personality.ts';

/** RFC 2865 5.18: a Reply-Message value holds at most 253 octets. */
const REPLY_MESSAGE_MAX_OCTETS = 253;

/** Cuts text to what one Reply-Message holds, on a character boundary. */
export function fitReplyMessage(text: string): string {
  if (Buffer.byteLength(text) <= REPLY_MESSAGE_MAX_OCTETS) return text;
  let out = '';
  for (const char of text) {
    if (Buffer.byteLength(out + char) > REPLY_MESSAGE_MAX_OCTETS) break;
    out += char;
  }
  return out;
}

const isCodePrompt = (result: AccessResult): boolean =>
  result.kind === 'challenge' &&
  (result.reason === 'mfa-code-requested' || result.reason === 'mfa-code-requested-again');

/** The attributes of an answered Access-Request, worded as the personality words them. */
export function replyAttributes(result: AccessResult, replies: RepliesConfig): readonly AttributeInput[] {
  if (result.kind === 'discard') return [];
  const { attributes } = result;
  if (isCodePrompt(result)) {
    return attributes.map((attribute) =>
      attribute.name === 'Reply-Message' && typeof attribute.value === 'string'
        ? {
            ...attribute,
            value: fitReplyMessage(
              renderCodePrompt(replies.codePrompt, { prompt: attribute.value, user: result.userName ?? '' }),
            ),
          }
        : attribute,
    );
  }
  // RFC 3579 2.6.5: a Reply-Message next to EAP-Message is not displayed; FreeRADIUS removes it too.
  if (
    result.kind === 'reject' &&
    replies.rejectMessage !== undefined &&
    !hasNamed(attributes, 'EAP-Message')
  ) {
    return [...attributes, { name: 'Reply-Message', value: fitReplyMessage(replies.rejectMessage) }];
  }
  return attributes;
}

/** Whether a reply gets Message-Authenticator under the configured habit. */
export function wantsMessageAuthenticator(
  mode: RepliesConfig['messageAuthenticator'],
  request: readonly RawAttribute[],
  reply: readonly AttributeInput[],
): boolean {
  // RFC 3579 3.2: a packet with EAP-Message MUST carry Message-Authenticator, whatever the habit.
  const eap = hasType(request, EAP_MESSAGE_TYPE) || hasNamed(reply, 'EAP-Message');
  switch (mode) {
    case 'always':
      return true;
    case 'with-eap':
      return eap;
    case 'when-requested':
      return eap || hasType(request, MESSAGE_AUTHENTICATOR_TYPE);
  }
}

// Loops rather than some(): these run for every answer, and a closure per call was its garbage.
function hasType(attributes: readonly RawAttribute[], type: number): boolean {
  for (const attribute of attributes) if (attribute.type === type) return true;
  return false;
}

function hasNamed(attributes: readonly AttributeInput[], name: string): boolean {
  for (const attribute of attributes) if (attribute.name === name) return true;
  return false;
}
