/** WebAssembly text, imported as its assembled bytes (the build and the tests assemble it). */
declare module '*.wat' {
  const bytes: Uint8Array;
  export default bytes;
}
