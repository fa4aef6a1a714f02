// On an external target the suites' placeholder user becomes the user the server knows (--user,
// --password). Only the placeholders and the demo password are replaced: a literal User-Name (a
// 253-octet name, an unknown user) must reach the server as written.
import type { AttributeInput } from '../../protocol/index.ts';

/** Placeholders a suite writes for "the user the server knows" (protocol and dedupe suites). */
export const USER_PLACEHOLDER = '${user}';
export const PASSWORD_PLACEHOLDER = '${password}';

/** The target's user and password in place of the suite's placeholders (and of the demo password). */
export function withExternalCredentials<A extends { readonly name: string; readonly value?: unknown }>(
  attribute: A,
  credentials: { readonly user: string; readonly password: string },
  demoPassword: string,
): A {
  if (attribute.value === USER_PLACEHOLDER) return { ...attribute, value: credentials.user };
  if (attribute.value === PASSWORD_PLACEHOLDER) return { ...attribute, value: credentials.password };
  if (attribute.name === 'User-Password' && attribute.value === demoPassword) {
    return { ...attribute, value: credentials.password };
  }
  return attribute;
}

/** The same, over a list of attributes to send. */
export function attributesForExternal<A extends AttributeInput | { name: string; value?: unknown }>(
  attributes: readonly A[],
  credentials: { readonly user: string; readonly password: string } | undefined,
  demoPassword: string,
): A[] {
  return credentials === undefined
    ? [...attributes]
    : attributes.map((a) => withExternalCredentials(a, credentials, demoPassword));
}
