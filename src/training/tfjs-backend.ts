/**
 * Loading TensorFlow.js for the MLP classifiers (src/classify/mlp.ts), once per thread, with the fastest backend
 * available offline: tfjs-node when it is installed (optional dependency: it needs libtensorflow, which cannot be
 * fetched offline), else WebAssembly (SIMD, files from node_modules), else the pure-JS cpu backend.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Tf, TfRuntime } from '../classify/mlp-tfjs.js';

let tfPromise: Promise<TfRuntime> | undefined;

/** Load TensorFlow.js once per thread and pick the fastest backend available offline. */
export function loadTf(prefer?: 'tensorflow' | 'wasm' | 'cpu'): Promise<TfRuntime> {
  tfPromise ??= (async () => {
    if (!prefer || prefer === 'tensorflow') {
      try {
        // Optional dependency: present only where libtensorflow could be installed.
        const name = '@tensorflow/tfjs-node';
        const mod = (await import(name)) as { default?: Tf } & Tf;
        const tf = mod.default ?? mod;
        await tf.setBackend('tensorflow');
        await tf.ready();
        return { tf, backend: 'tensorflow' };
      } catch {
        // not installed or failed to load: fall through to wasm
      }
    }
    const mod = (await import('@tensorflow/tfjs')) as { default?: Tf } & Tf;
    const tf = mod.default ?? mod;
    if (!prefer || prefer !== 'cpu') {
      try {
        const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as {
          default?: { setWasmPaths: (p: string) => void };
          setWasmPaths?: (p: string) => void;
        };
        const setWasmPaths = wasm.setWasmPaths ?? wasm.default!.setWasmPaths;
        const require = createRequire(import.meta.url);
        const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
        setWasmPaths(dir + path.sep);
        if (await tf.setBackend('wasm')) {
          await tf.ready();
          return { tf, backend: 'wasm' };
        }
      } catch {
        // wasm unavailable: use the cpu backend
      }
    }
    await tf.setBackend('cpu');
    await tf.ready();
    return { tf, backend: 'cpu' };
  })();
  return tfPromise;
}
