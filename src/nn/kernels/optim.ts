/**
 * Adam and AdamW updates over a contiguous parameter block (WebAssembly SIMD). c1 = 1 / (1 - beta1^t) and
 * c2 = 1 / (1 - beta2^t) are the bias corrections; decoupled = 0 adds wd * w to the gradient (Adam with L2, as
 * torch.optim.Adam's weight_decay), decoupled = 1 shrinks w by lr * wd first (AdamW, as torch.optim.AdamW).
 * Operation order follows torch 1.13's single-tensor implementation so a fixture agrees to the last bits when
 * possible: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; w -= lr c1 m / (sqrt(v c2) + eps).
 */
// @ts-ignore: decorator
@inline function p(off: i32): usize {
  return <usize>off << 2;
}

export function adam(n: i32, w: i32, g: i32, m: i32, v: i32, lr: f32, b1: f32, b2: f32, eps: f32, c1: f32, c2: f32,
  wd: f32, decoupled: i32): void {
  const n4 = n & ~3;
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), va1 = f32x4.splat(1 - b1), va2 = f32x4.splat(1 - b2);
  const vstep = f32x4.splat(lr * c1), vc2 = f32x4.splat(c2), veps = f32x4.splat(eps);
  const vwd = f32x4.splat(wd), vdecay = f32x4.splat(1 - lr * wd);
  let i = 0;
  for (; i < n4; i += 4) {
    let wv = v128.load(p(w + i));
    let gv = v128.load(p(g + i));
    if (wd != 0) {
      if (decoupled) wv = f32x4.mul(wv, vdecay);
      else gv = f32x4.add(gv, f32x4.mul(wv, vwd));
    }
    const mv = f32x4.add(f32x4.mul(vb1, v128.load(p(m + i))), f32x4.mul(va1, gv));
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(p(v + i))), f32x4.mul(va2, f32x4.mul(gv, gv)));
    v128.store(p(m + i), mv);
    v128.store(p(v + i), vv);
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vv, vc2)), veps);
    v128.store(p(w + i), f32x4.sub(wv, f32x4.div(f32x4.mul(vstep, mv), den)));
  }
  const step = lr * c1;
  const decay: f32 = 1 - lr * wd;
  for (; i < n; i++) {
    let wv = load<f32>(p(w + i));
    let gv = load<f32>(p(g + i));
    if (wd != 0) {
      if (decoupled) wv = wv * decay;
      else gv = gv + wv * wd;
    }
    const mv: f32 = b1 * load<f32>(p(m + i)) + (1 - b1) * gv;
    const vv: f32 = b2 * load<f32>(p(v + i)) + (1 - b2) * (gv * gv);
    store<f32>(p(m + i), mv);
    store<f32>(p(v + i), vv);
    store<f32>(p(w + i), wv - (step * mv) / (Mathf.sqrt(vv * c2) + eps));
  }
}
