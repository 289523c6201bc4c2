/**
 * Declaration of the module src/nn/kernels/build.mjs generates at build time (dist/src/nn/kernels-wasm.js):
 * the AssemblyScript kernels compiled to WebAssembly, base64, for an ordinary and for a shared memory import.
 */
export const wasmBase64: string;
export const wasmSharedBase64: string;
