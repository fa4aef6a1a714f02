// The slice of js-md4 (no bundled types) that md4.ts uses. Only `arrayBuffer` is declared: it runs
// the pure-JS digest, whereas calling the package directly goes to node:crypto's MD4, which
// Node 20's OpenSSL 3 refuses.
declare module 'js-md4' {
  interface JsMd4 {
    arrayBuffer(message: string | ArrayBuffer | Uint8Array): ArrayBuffer;
  }
  const md4: JsMd4;
  export default md4;
}
