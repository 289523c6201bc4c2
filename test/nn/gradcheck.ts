/**
 * Finite-difference gradient checking for the neural engine's tests: central differences of an Objective's loss
 * sum (training-mode forward with a fixed dropout key, so masks repeat) against the analytic gradient block.
 */
import type { Objective } from '../../src/nn/fit.js';
import { mulberry32 } from '../../src/stats/random.js';

export interface GradCheck {
  checked: number;
  worst: number;
  /** Relative error of the directional derivative along all checked coordinates at once. */
  directional: number;
}

export function gradCheck(
  obj: Objective,
  rows: Uint32Array,
  opts: { samples?: number; h?: number; seed?: number; skipMasked?: boolean } = {},
): GradCheck {
  const store = obj.params;
  const f = () => store.heap.f32;
  const key = 12345;
  const loss = (): number => {
    store.zeroGrad();
    return obj.lossGrad(rows, 0, rows.length, 0, 1, key);
  };
  const l0 = loss();
  const grad = f().slice(store.gradBase, store.gradBase + store.size);
  const h0 = opts.h ?? 3e-3;
  // f32 rounding through the layers makes each loss evaluation uncertain by ~1e-6 |L|: a difference quotient is
  // no better than that over 2h, which sets the absolute floor of the comparison
  const floor = Math.max(1e-4, (2e-6 * Math.abs(l0)) / h0);
  // candidate coordinates: real parameters, not padding, not masked-out weights
  const cand: number[] = [];
  for (const p of store.params) {
    for (let i = 0; i < p.size; i++) if (!p.mask || p.mask[i] === 1) cand.push(p.rel + i);
  }
  const rand = mulberry32(opts.seed ?? 1);
  const picks = new Set<number>();
  const want = Math.min(opts.samples ?? 60, cand.length);
  // always include each parameter tensor's first coordinate, then random ones
  for (const p of store.params) if (picks.size < want && (!p.mask || p.mask[0] === 1)) picks.add(p.rel);
  while (picks.size < want) picks.add(cand[Math.floor(rand() * cand.length)]!);
  let worst = 0;
  let dirFd = 0;
  let dirAn = 0;
  let dirScale = 0;
  for (const r of picks) {
    const idx = store.base + r;
    const w0 = f()[idx]!;
    const h = h0 * Math.max(1, Math.abs(w0));
    f()[idx] = w0 + h;
    const hp = f()[idx]! - w0;
    const lp = loss();
    f()[idx] = w0 - h;
    const hm = w0 - f()[idx]!;
    const lm = loss();
    f()[idx] = w0;
    const fd = (lp - lm) / (hp + hm);
    const an = grad[r]!;
    const err = Math.abs(fd - an) / Math.max(floor, Math.abs(fd), Math.abs(an));
    if (process.env.GRADCHECK_DEBUG && err > 0.01) console.log('coord', r, 'fd', fd, 'an', an, 'h', h);
    worst = Math.max(worst, err);
    dirFd += fd;
    dirAn += an;
    dirScale += Math.abs(an);
  }
  return { checked: picks.size, worst, directional: Math.abs(dirFd - dirAn) / Math.max(1e-6, dirScale) };
}
