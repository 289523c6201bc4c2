/**
 * Tensor descriptors: where a batch of activations lives in a heap. A tensor is a batch of samples; each sample is
 * `len` positions of `cols` channels (len = 1 for plain feature vectors), stored channels-last: element
 * (sample b, position l, channel c) is at off + b * stride + (pad + l) * ld + c. `pad` zero rows before and after
 * every sample let a 1-D convolution read its receptive field as one contiguous block (implicit im2col); ld > cols
 * makes a tensor a channel slice of a wider one (zero-copy concatenation).
 */
export interface Tensor {
  off: number;
  cols: number;
  ld: number;
  len: number;
  pad: number;
  stride: number;
}

/** Shape of one sample: positions x channels (len 1: a feature vector). */
export interface Shape {
  len: number;
  cols: number;
}

/** A batch of feature vectors, one row per sample. */
export function mat(off: number, cols: number, ld = cols): Tensor {
  return { off, cols, ld, len: 1, pad: 0, stride: ld };
}

/** A batch of sequences (len positions x ch channels) with `pad` zero rows around each sample. */
export function seq(off: number, len: number, ch: number, pad: number, ld = ch): Tensor {
  return { off, cols: ch, ld, len, pad, stride: (len + 2 * pad) * ld };
}

/** Channels [c0, c0 + cols) of t. */
export function channels(t: Tensor, c0: number, cols: number): Tensor {
  return { ...t, off: t.off + c0, cols };
}

/** Whether a batch's rows are evenly strided (no padding between samples): then n samples are n * len rows. */
export function isFlat(t: Tensor): boolean {
  return t.pad === 0 && t.stride === t.len * t.ld;
}

/** Offset of the first real row of sample b. */
export function rowOf(t: Tensor, b: number): number {
  return t.off + b * t.stride + t.pad * t.ld;
}

/** Elements a tensor of `capacity` samples spans. */
export function spanOf(t: Omit<Tensor, 'off'>, capacity: number): number {
  return capacity * t.stride;
}

/**
 * Calls fn(rowOffset, rows) over the rows of n samples: once when they are evenly strided, else once per sample.
 */
export function forRows(t: Tensor, n: number, fn: (off: number, rows: number) => void): void {
  if (isFlat(t)) fn(t.off, n * t.len);
  else for (let b = 0; b < n; b++) fn(rowOf(t, b), t.len);
}

/** Zero the pad rows around each of n samples (full row width); nothing to do without padding. */
export function zeroPads(k: { fill(n: number, x: number, v: number): void }, t: Tensor, n: number): void {
  if (t.pad === 0 || t.len === 1) return;
  const padRows = t.pad * t.ld;
  for (let s = 0; s < n; s++) {
    const base = t.off + s * t.stride;
    k.fill(padRows, base, 0);
    k.fill(padRows, base + (t.pad + t.len) * t.ld, 0);
  }
}

/** Rows per sample, padding included. */
export function periodOf(t: Tensor): number {
  return t.len + 2 * t.pad;
}
