// Request bodies arrive as untyped JSON; these checks turn them into the API types or a
// REQUEST_FORMAT_ERROR that says which field is wrong.

import { isPlainObject } from '../../runtime/validation/index.ts';
import {
  MFA_METHODS,
  type BeginContext,
  type BeginRequest,
  type CodeRequest,
  type MfaMethod,
  type TokenRequest,
} from './api-types.ts';
import { CLIENT_ASSERTION_TYPE, CLIENT_CREDENTIALS_GRANT } from '../../protocol/client-assertion.ts';
import { mfaFailure, tokenFailure, type MfaResult } from './errors.ts';

function isMethod(value: unknown): value is MfaMethod {
  return typeof value === 'string' && (MFA_METHODS as readonly string[]).includes(value);
}

const CONTEXT_KEYS = ['clientIp', 'callingStationId', 'nasIdentifier', 'nasIp', 'requestId'] as const;

/**
 * OAuth's client_credentials grant with a JWT client assertion (RFC 7523). A missing or wrong field is
 * a token error, as Entra answers it (invalid_request), not a format error: the extension reports it
 * as a security token error like any other refused credential.
 */
export function parseTokenRequest(body: unknown): MfaResult<TokenRequest> {
  if (!isPlainObject(body)) return mfaFailure('REQUEST_FORMAT_ERROR', 'body must be a JSON object or a form');
  const field = (key: string): string | undefined => {
    const value = body[key];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const clientId = field('client_id');
  const assertion = field('client_assertion');
  if (
    field('grant_type') !== CLIENT_CREDENTIALS_GRANT ||
    field('client_assertion_type') !== CLIENT_ASSERTION_TYPE ||
    clientId === undefined ||
    assertion === undefined
  ) {
    return tokenFailure('invalid_request');
  }
  const scope = field('scope');
  return {
    ok: true,
    value: {
      grant_type: CLIENT_CREDENTIALS_GRANT,
      client_id: clientId,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
      ...(scope !== undefined ? { scope } : {}),
    },
  };
}

export function parseBeginRequest(body: unknown): MfaResult<BeginRequest> {
  if (!isPlainObject(body)) return mfaFailure('REQUEST_FORMAT_ERROR', 'body must be a JSON object');
  const user = body['user'];
  if (typeof user !== 'string' || user.trim() === '') {
    return mfaFailure('REQUEST_FORMAT_ERROR', 'user (UPN or alternate id) must be a non-empty string');
  }
  const method = body['method'] ?? 'default';
  if (method !== 'default' && !isMethod(method)) {
    return mfaFailure('REQUEST_FORMAT_ERROR', `method must be "default" or one of ${MFA_METHODS.join(', ')}`);
  }
  const preferAppCode = body['preferAppCode'] ?? false;
  if (typeof preferAppCode !== 'boolean')
    return mfaFailure('REQUEST_FORMAT_ERROR', 'preferAppCode must be a boolean');
  const acceptable = body['acceptableMethods'];
  if (acceptable !== undefined && (!Array.isArray(acceptable) || !acceptable.every(isMethod))) {
    return mfaFailure(
      'REQUEST_FORMAT_ERROR',
      `acceptableMethods must be a list of ${MFA_METHODS.join(', ')}`,
    );
  }
  const contextInput = body['context'];
  let context: BeginContext | undefined;
  if (contextInput !== undefined) {
    if (!isPlainObject(contextInput)) return mfaFailure('REQUEST_FORMAT_ERROR', 'context must be an object');
    const entries: [string, string][] = [];
    for (const key of CONTEXT_KEYS) {
      const value = contextInput[key];
      if (value === undefined) continue;
      if (typeof value !== 'string')
        return mfaFailure('REQUEST_FORMAT_ERROR', `context.${key} must be a string`);
      entries.push([key, value]);
    }
    context = Object.fromEntries(entries);
  }
  return {
    ok: true,
    value: {
      user: user.trim(),
      method,
      preferAppCode,
      ...(acceptable === undefined ? {} : { acceptableMethods: acceptable }),
      ...(context === undefined ? {} : { context }),
    },
  };
}

export function parseCodeRequest(body: unknown): MfaResult<CodeRequest> {
  if (!isPlainObject(body)) return mfaFailure('REQUEST_FORMAT_ERROR', 'body must be a JSON object');
  const code = body['code'];
  if (typeof code !== 'string') return mfaFailure('REQUEST_FORMAT_ERROR', 'code must be a string of digits');
  return { ok: true, value: { code: code.trim() } };
}
