/**
 * Optimisers and learning-rate schedules. Adam and AdamW (torch.optim semantics: Adam's weight_decay is an L2
 * term added to the gradient, AdamW's decays the weights by lr * wd before the step) update the whole parameter
 * block in one SIMD kernel call; the moments live in the same heap. Gradient clipping by global norm follows
 * torch.nn.utils.clip_grad_norm_.
 */
import { InputError } from '../events/errors.js';
import type { ParamStore } from './params.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** AdamW (decoupled weight decay) instead of Adam's L2 term. */
  decoupled?: boolean;
}

export class Adam {
  readonly lr: number;
  readonly b1: number;
  readonly b2: number;
  readonly eps: number;
  readonly wd: number;
  readonly decoupled: boolean;
  private m: number;
  private v: number;
  t = 0;

  constructor(
    readonly store: ParamStore,
    o: AdamOptions = {},
  ) {
    this.lr = o.lr ?? 1e-3;
    [this.b1, this.b2] = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.wd = o.weightDecay ?? (o.decoupled ? 0.01 : 0);
    this.decoupled = o.decoupled ?? false;
    if (!(this.lr > 0)) throw new InputError(`nn adam: learning rate ${this.lr} must be positive`, { field: 'lr' });
    const h = store.heap;
    this.m = h.alloc(store.size);
    this.v = h.alloc(store.size);
    h.k.fill(store.size, this.m, 0);
    h.k.fill(store.size, this.v, 0);
  }

  /** One update with learning rate lr (the schedule's value for this step). */
  step(lr = this.lr): void {
    this.t++;
    const bc1 = 1 - this.b1 ** this.t;
    const bc2 = 1 - this.b2 ** this.t;
    const s = this.store;
    s.heap.k.adam(
      s.size,
      s.base,
      s.gradBase,
      this.m,
      this.v,
      this.b1,
      this.b2,
      this.eps,
      lr / bc1,
      Math.sqrt(bc2),
      this.decoupled ? 0 : this.wd,
      this.decoupled ? 1 - lr * this.wd : 1,
    );
  }
}

/** Scale the gradients to global norm maxNorm when above it; returns the norm before clipping. */
export function clipGradNorm(store: ParamStore, maxNorm: number): number {
  const k = store.heap.k;
  const norm = Math.sqrt(k.sumSq(store.size, store.gradBase));
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) k.scale(store.size, store.gradBase, coef);
  return norm;
}

export type Schedule =
  | { type: 'constant' }
  /** lr * gamma^floor(epoch / stepSize) (torch StepLR) */
  | { type: 'step'; stepSize: number; gamma: number }
  /** lr * gamma^epoch (torch ExponentialLR) */
  | { type: 'exponential'; gamma: number }
  /** etaMin + (lr - etaMin) (1 + cos(pi epoch / tMax)) / 2 (torch CosineAnnealingLR) */
  | { type: 'cosine'; tMax: number; etaMin?: number };

/** Learning rate of an epoch (0-based) under a schedule, with optional linear warm-up over the first epochs. */
export function scheduledLr(base: number, s: Schedule | undefined, epoch: number, warmupEpochs = 0): number {
  let lr = base;
  if (s && s.type === 'step') lr = base * s.gamma ** Math.floor(epoch / s.stepSize);
  else if (s && s.type === 'exponential') lr = base * s.gamma ** epoch;
  else if (s && s.type === 'cosine') {
    const eta = s.etaMin ?? 0;
    lr = eta + ((base - eta) * (1 + Math.cos((Math.PI * Math.min(epoch, s.tMax)) / s.tMax))) / 2;
  }
  if (warmupEpochs > 0 && epoch < warmupEpochs) lr *= (epoch + 1) / (warmupEpochs + 1);
  return lr;
}
