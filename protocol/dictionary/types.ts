// Dictionaries are data: each module lists attributes the way FreeRADIUS's dictionary.rfcNNNN files do.

export type DataType =
  | 'string'
  | 'octets'
  | 'integer'
  | 'integer64'
  | 'ipaddr'
  | 'ipv6addr'
  | 'ipv6prefix'
  | 'ifid'
  | 'date'
  | 'vsa';

/**
 * How a value is hidden on the wire:
 * - `user-password`: RFC 2865 5.2 MD5 stream keyed by secret and Request Authenticator;
 * - `salted`: RFC 2868 3.5 / RFC 2548 2.4.2 salt + length byte (Tunnel-Password, MS-MPPE-*-Key).
 */
export type Encryption = 'user-password' | 'salted';

export interface AttributeSpec {
  readonly name: string;
  readonly type: number;
  readonly dataType: DataType;
  /** Named integer values (Service-Type = Framed-User). */
  readonly values?: Readonly<Record<string, number>>;
  /** RFC 2868 3: first octet may carry a tag 0x01..0x1F. */
  readonly tagged?: boolean;
  readonly encryption?: Encryption;
  /** Values longer than 253 octets are split over several attributes (EAP-Message, RFC 3579 3.1). */
  readonly concat?: boolean;
}

export interface VendorSpec {
  readonly name: string;
  readonly id: number;
  readonly attributes: readonly AttributeSpec[];
}

export interface DictionaryModule {
  /** Where the definitions come from, e.g. "RFC 2865". */
  readonly source: string;
  readonly attributes: readonly AttributeSpec[];
  readonly vendors?: readonly VendorSpec[];
}

export interface ResolvedAttribute extends AttributeSpec {
  /** Absent for standard attributes. */
  readonly vendorId?: number;
  readonly vendorName?: string;
  readonly source: string;
}
