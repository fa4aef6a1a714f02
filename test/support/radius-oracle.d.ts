// Minimal typing of the npm `radius` package, used only as a differential oracle in tests.
declare module 'radius' {
  interface DecodedRadius {
    code: string;
    identifier: number;
    length: number;
    authenticator: Buffer;
    attributes: Record<string, unknown>;
    raw_attributes: [number, Buffer][];
  }
  const radius: {
    decode(args: { packet: Buffer; secret: string }): DecodedRadius;
    decode_without_secret(args: { packet: Buffer }): DecodedRadius;
    encode(args: {
      code: string;
      secret: string;
      identifier?: number;
      attributes: [string, string | number | Buffer][];
      add_message_authenticator?: boolean;
    }): Buffer;
    verify_response(args: { request: Buffer; response: Buffer; secret: string }): boolean;
  };
  export default radius;
}
