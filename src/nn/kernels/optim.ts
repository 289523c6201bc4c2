/**
 * Adam and AdamW updates over a contiguous parameter block (WebAssembly SIMD), in the operation order of
 * torch 1.13's single-tensor Adam/AdamW so that a fixture agrees to rounding:
 *   AdamW: w = w * decay (decay = 1 - lr wd; 1 for Adam)     Adam with L2: g = g + wd w (wd = 0 for AdamW)
 *   m = b1 m + (1 - b1) g;  v = b2 v + ((1 - b2) g) g
 *   w = w - (step m) / (sqrt(v) / bc2s + eps),  step = lr / (1 - b1^t),  bc2s = sqrt(1 - b2^t)
 */
// @ts-ignore: decorator
@inline function p(off: i32): usize {
  return <usize>off << 2;
}

export function adam(n: i32, w: i32, g: i32, m: i32, v: i32, b1: f32, b2: f32, eps: f32, step: f32, bc2s: f32,
  wd: f32, decay: f32): void {
  const n4 = n & ~3;
  const a1: f32 = 1 - b1;
  const a2: f32 = 1 - b2;
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), va1 = f32x4.splat(a1), va2 = f32x4.splat(a2);
  const vstep = f32x4.splat(step), vbc = f32x4.splat(bc2s), veps = f32x4.splat(eps);
  const vwd = f32x4.splat(wd), vdecay = f32x4.splat(decay);
  let i = 0;
  for (; i < n4; i += 4) {
    let wv = v128.load(p(w + i));
    let gv = v128.load(p(g + i));
    if (decay != 1) wv = f32x4.mul(wv, vdecay);
    if (wd != 0) gv = f32x4.add(gv, f32x4.mul(wv, vwd));
    const mv = f32x4.add(f32x4.mul(v128.load(p(m + i)), vb1), f32x4.mul(gv, va1));
    const vv = f32x4.add(f32x4.mul(v128.load(p(v + i)), vb2), f32x4.mul(f32x4.mul(gv, va2), gv));
    v128.store(p(m + i), mv);
    v128.store(p(v + i), vv);
    const den = f32x4.add(f32x4.div(f32x4.sqrt(vv), vbc), veps);
    v128.store(p(w + i), f32x4.sub(wv, f32x4.div(f32x4.mul(vstep, mv), den)));
  }
  for (; i < n; i++) {
    let wv = load<f32>(p(w + i));
    let gv = load<f32>(p(g + i));
    if (decay != 1) wv = wv * decay;
    if (wd != 0) gv = gv + wv * wd;
    const mv: f32 = load<f32>(p(m + i)) * b1 + gv * a1;
    const vv: f32 = load<f32>(p(v + i)) * b2 + (gv * a2) * gv;
    store<f32>(p(m + i), mv);
    store<f32>(p(v + i), vv);
    store<f32>(p(w + i), wv - (step * mv) / (Mathf.sqrt(vv) / bc2s + eps));
  }
}
