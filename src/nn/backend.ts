/**
 * Heaps and kernel backends of the neural engine. A Heap is one linear f32 memory with a bump allocator; every
 * tensor, parameter block and workspace of a model lives in its model's heap and is addressed by an element
 * offset, and the kernels bound to the heap (WebAssembly SIMD, or the plain-JS twin with the same bits) work on
 * those offsets. The wasm bytes come from a module generated at build time (src/nn/kernels/build.mjs), so
 * instantiation is synchronous and needs no file I/O. A heap can be made shared (SharedArrayBuffer-backed) so a
 * training runtime can read one replica's gradients from another thread; nn/ itself starts no threads.
 */
import { SidebandError } from '../events/errors.js';
import { jsKernels } from './kernels-js.js';
import type { Kernels } from './kernels-api.js';
import { wasmBase64, wasmSharedBase64 } from './kernels-wasm.js';

export type BackendKind = 'wasm' | 'js';
export type BackendChoice = BackendKind | 'auto';

export interface HeapOptions {
  /** 'auto' (default): WebAssembly SIMD when this runtime has it, else plain JS. */
  backend?: BackendChoice;
  /** Back the heap by shared memory (for data-parallel training). */
  shared?: boolean;
  /** Initial size in bytes (grown on demand). */
  initialBytes?: number;
}

/** The part of the WebAssembly JS API used here (the project's lib settings carry no DOM/wasm typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
/** ES2024 growable SharedArrayBuffer (Node 20), typed locally for the same reason. */
interface GrowableSab extends SharedArrayBuffer {
  grow(bytes: number): void;
}
const SabCtor = SharedArrayBuffer as unknown as new (bytes: number, opts: { maxByteLength: number }) => GrowableSab;

function wasmApi(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

const PAGE = 65536;
/** Largest shared heap (shared memories need a maximum up front; 1 GiB of address space, reserved not used). */
const SHARED_MAX_PAGES = 16384;

let plainModule: object | null | undefined;
let sharedModule: object | null | undefined;

function decode(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function compiled(shared: boolean): object | null {
  const WA = wasmApi();
  if (!WA) return null;
  if (shared) {
    if (sharedModule === undefined) {
      try {
        sharedModule = new WA.Module(decode(wasmSharedBase64));
      } catch {
        sharedModule = null;
      }
    }
    return sharedModule;
  }
  if (plainModule === undefined) {
    try {
      plainModule = new WA.Module(decode(wasmBase64));
    } catch {
      plainModule = null; // no WebAssembly SIMD here: the JS kernels take over
    }
  }
  return plainModule;
}

/** Whether the WebAssembly SIMD kernels can run in this runtime. */
export function wasmAvailable(): boolean {
  return compiled(false) !== null;
}

/** The backend 'auto' resolves to. */
export function defaultBackend(): BackendKind {
  return wasmAvailable() ? 'wasm' : 'js';
}

export class Heap {
  readonly kind: BackendKind;
  readonly shared: boolean;
  readonly k: Kernels;
  private memory: WasmMemory | undefined;
  private buf: ArrayBuffer | SharedArrayBuffer;
  private view: Float32Array;
  /** Next free element. */
  private top = 16;

  constructor(opts: HeapOptions = {}) {
    const choice = opts.backend ?? 'auto';
    this.shared = opts.shared ?? false;
    const module = choice === 'js' ? null : compiled(this.shared);
    if (choice === 'wasm' && !module) throw new SidebandError('nn backend: WebAssembly SIMD kernels are unavailable');
    const bytes = Math.max(PAGE, Math.ceil((opts.initialBytes ?? 4 * PAGE) / PAGE) * PAGE);
    if (module) {
      this.kind = 'wasm';
      const WA = wasmApi()!;
      this.memory = new WA.Memory({
        initial: bytes / PAGE,
        ...(this.shared ? { maximum: SHARED_MAX_PAGES, shared: true } : {}),
      });
      const instance = new WA.Instance(module, { env: { memory: this.memory } });
      this.k = instance.exports as unknown as Kernels;
      this.buf = this.memory.buffer;
    } else {
      this.kind = 'js';
      this.buf = this.shared ? new SabCtor(bytes, { maxByteLength: SHARED_MAX_PAGES * PAGE }) : new ArrayBuffer(bytes);
      this.k = jsKernels(() => this.f32);
    }
    this.view = new Float32Array(this.buf);
  }

  /** The whole heap as f32 (a fresh view after growth; read it again after any allocation). */
  get f32(): Float32Array {
    const b = this.memory ? this.memory.buffer : this.buf;
    if (b !== this.buf || this.view.length * 4 !== b.byteLength) {
      this.buf = b;
      this.view = new Float32Array(b);
    }
    return this.view;
  }

  /** The whole heap as i32 (index tables the kernels read). */
  get i32(): Int32Array {
    return new Int32Array(this.f32.buffer, 0, this.f32.length);
  }

  /** The memory behind the heap (a SharedArrayBuffer for shared heaps). */
  get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.memory ? this.memory.buffer : this.buf;
  }

  /** Elements in use. */
  get used(): number {
    return this.top;
  }

  /** Reserve n f32 elements aligned to `align` elements (16 = one cache line); returns the offset. */
  alloc(n: number, align = 16): number {
    if (!(n >= 0) || !Number.isInteger(n)) throw new SidebandError(`nn heap: bad allocation size ${n}`);
    const off = Math.ceil(this.top / align) * align;
    const end = off + n;
    this.ensure(end * 4 + 64);
    this.top = end;
    return off;
  }

  /** Allocation mark for temporary workspace; release(mark) frees everything allocated after it. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }

  private ensure(bytes: number): void {
    const have = this.buffer.byteLength;
    if (bytes <= have) return;
    const want = Math.max(bytes, have * 2);
    const pages = Math.ceil((want - have) / PAGE);
    if (this.memory) {
      this.memory.grow(pages);
    } else if (this.buf instanceof SharedArrayBuffer) {
      (this.buf as GrowableSab).grow(have + pages * PAGE);
    } else {
      const next = new ArrayBuffer(have + pages * PAGE);
      new Uint8Array(next).set(new Uint8Array(this.buf));
      this.buf = next;
    }
  }
}
