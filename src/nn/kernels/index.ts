/**
 * Entry point of the neural engine's WebAssembly kernels (AssemblyScript, compiled by build.mjs with SIMD on and
 * the memory imported from the host, so one compiled module serves any number of heaps, shared or not).
 * Excluded from the project's tsc build; see ../backend.ts for how the bytes are loaded.
 */
export { gemm, gemmFwd, gemmBwd, setRanges } from './gemm';
export {
  actFwd, actBwd, dropout, colSum, transpose, mulInPlace, scale, sumSq, sumSlots, gradSelect, addInPlace, copy2d, fill,
} from './elementwise';
export { adam } from './optim';
