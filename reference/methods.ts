/** Authentication methods the reference server recognises from the Access-Request's attributes. */
export const AUTH_METHODS = ['pap', 'chap', 'mschap', 'mschapv2', 'eap-md5', 'eap-mschapv2'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];
