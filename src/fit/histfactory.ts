/**
 * HistFactory likelihood (the model behind pyhf's JSON workspaces): channels of bins, samples with modifiers, the
 * profile likelihood over nuisance parameters. It lets `sideband stats cls --workspace` read any pyhf workspace that
 * uses the modifiers below and compute the same asymptotic CLs as `pyhf.infer.hypotest`.
 *
 *   ν_cb(θ) = Σ_s [ nominal_sb + Σ_histosys Δ_sb(α) ] · Π_normsys f(α) · Π_normfactor,lumi,shapefactor,shapesys,staterror θ
 *   −ln L = Σ_cb [ν_cb − n_cb ln ν_cb] + Σ_gauss (θ − a)² / 2σ² + Σ_poisson [γτ − a ln γτ]     (constants dropped)
 *
 * Modifiers (pyhf schema 1.0.0): normfactor, lumi (Gaussian, σ from the measurement), normsys (Gaussian α;
 * interpolation code1 or code4, pyhf's default), histosys (Gaussian α; code0 or code4p, pyhf's default),
 * shapesys (per-bin γ with Poisson constraint τ = (nominal/σ)², pyhf's masking of empty bins), staterror (per-bin γ
 * shared by the channel's samples, Gaussian with σ = √Σδ² / Σnominal), shapefactor (free per-bin factors).
 *
 * Why not a general minimizer: the parameter of interest is profiled in one dimension (the profile's μ-derivative is
 * ∂(−ln L)/∂μ at the conditional fit, by the envelope theorem), so its bound μ ≥ 0 — the heart of q̃μ — is exact; the
 * nuisance parameters at fixed μ are a smooth unconstrained problem for the damped Newton of fit/minimize.ts, with
 * exact gradients and a Hessian from central differences of them. Domain violations (ν ≤ 0, γ ≤ 0) are rejected steps.
 */
import { minimizeNewton } from './minimize.js';

export type InterpCode = 'code0' | 'code1' | 'code4' | 'code4p';

export type ModifierSpec =
  | { name: string; type: 'normfactor' | 'lumi' | 'shapefactor'; data: null }
  | { name: string; type: 'normsys'; data: { lo: number; hi: number } }
  | { name: string; type: 'histosys'; data: { lo_data: number[]; hi_data: number[] } }
  | { name: string; type: 'shapesys' | 'staterror'; data: number[] };

export interface SampleSpec {
  name: string;
  data: number[];
  modifiers: ModifierSpec[];
}
export interface ChannelSpec {
  name: string;
  samples: SampleSpec[];
}

/** Measurement parameter settings (pyhf `measurements[].config.parameters[]`). */
export interface ParameterSetting {
  name: string;
  inits?: number[];
  bounds?: [number, number][];
  fixed?: boolean;
  auxdata?: number[];
  sigmas?: number[];
}

export interface HistFactorySpec {
  channels: ChannelSpec[];
  poi: string;
  parameters?: ParameterSetting[];
  /** Interpolation codes; pyhf's defaults are normsys code4, histosys code4p. */
  interpolation?: { normsys?: 'code1' | 'code4'; histosys?: 'code0' | 'code4p' };
}

/**
 * A modifier type this engine does not implement, or an inconsistent model. A RangeError, as everywhere in the
 * math folders (fit/ imports nothing but stats/); the workspace reader names the file when it reports it.
 */
export class HistFactoryModelError extends RangeError {
  override readonly name = 'HistFactoryModelError';
}

interface Param {
  name: string;
  init: number;
  lo: number;
  hi: number;
  fixed: boolean;
  constraint?: { kind: 'normal'; sigma: number } | { kind: 'poisson'; tau: number };
  /** Nominal auxiliary measurement (normal: its mean; poisson: τ). */
  aux: number;
}

/** One multiplicative or additive term acting on one sample's bins. */
type Term =
  | { kind: 'scale'; param: number }
  | { kind: 'perbin'; first: number }
  | { kind: 'normsys'; param: number; lo: number; hi: number; code: 'code1' | 'code4'; coef: Float64Array }
  | { kind: 'histosys'; param: number; lo: Float64Array; hi: Float64Array; code: 'code0' | 'code4p' };

interface CompiledSample {
  offset: number;
  nominal: Float64Array;
  terms: Term[];
}

export interface CompiledModel {
  params: Param[];
  poi: number;
  nbins: number;
  /** Channel names and their first global bin, in model order. */
  channels: { name: string; offset: number; nbins: number }[];
  samples: CompiledSample[];
}

// ---- interpolation (pyhf/interpolators code0, code1, code4, code4p; α0 = 1) ----------------------------------

/** Coefficients of code4's sixth-order polynomial for |α| < 1 (pyhf's A⁻¹ b with α0 = 1). */
function code4Coefficients(lo: number, hi: number): Float64Array {
  const lu = Math.log(hi),
    ld = Math.log(lo);
  const b = [hi - 1, lo - 1, lu * hi, -ld * lo, lu * lu * hi, ld * ld * lo];
  const A = [
    [15 / 16, -15 / 16, -7 / 16, -7 / 16, 1 / 16, -1 / 16],
    [3 / 2, 3 / 2, -9 / 16, 9 / 16, 1 / 16, 1 / 16],
    [-5 / 8, 5 / 8, 5 / 8, 5 / 8, -1 / 8, 1 / 8],
    [-3 / 2, -3 / 2, 7 / 8, -7 / 8, -1 / 8, -1 / 8],
    [3 / 16, -3 / 16, -3 / 16, -3 / 16, 1 / 16, -1 / 16],
    [1 / 2, 1 / 2, -5 / 16, 5 / 16, 1 / 16, 1 / 16],
  ];
  return Float64Array.from(A, (row) => row.reduce((s, a, j) => s + a * b[j]!, 0));
}

/** Multiplicative normsys factor and its α-derivative. */
function normsysFactor(t: Extract<Term, { kind: 'normsys' }>, a: number): [number, number] {
  if (t.code === 'code1' || Math.abs(a) >= 1) {
    if (a >= 0) return [t.hi ** a, t.hi ** a * Math.log(t.hi)];
    return [t.lo ** -a, -(t.lo ** -a) * Math.log(t.lo)];
  }
  let f = 1,
    d = 0,
    p = 1;
  for (let k = 0; k < 6; k++) {
    d += (k + 1) * t.coef[k]! * p;
    p *= a;
    f += t.coef[k]! * p;
  }
  return [f, d];
}

/** Additive histosys shift of one bin and its α-derivative (up = hi − nom, down = nom − lo). */
function histosysDelta(code: 'code0' | 'code4p', up: number, down: number, a: number): [number, number] {
  if (code === 'code0') return a >= 0 ? [a * up, up] : [a * down, down];
  if (a > 1) return [a * up, up];
  if (a < -1) return [a * down, down];
  const S = 0.5 * (up + down),
    A = 0.0625 * (up - down);
  const a2 = a * a;
  const poly = 15 + a2 * (-10 + 3 * a2); // 15 − 10α² + 3α⁴
  const dpoly = a * (-20 + 12 * a2);
  // δ = αS + α²A·poly
  return [a * S + a2 * A * poly, S + 2 * a * A * poly + a2 * A * dpoly];
}

// ---- model compilation ---------------------------------------------------------------------------------------

export function compileModel(spec: HistFactorySpec): CompiledModel {
  const params: Param[] = [];
  const byName = new Map<string, number>();
  const settings = new Map((spec.parameters ?? []).map((p) => [p.name, p]));
  const channels: CompiledModel['channels'] = [];
  let nbins = 0;
  for (const c of spec.channels) {
    const n = c.samples[0]?.data.length ?? 0;
    if (!c.samples.length) throw new HistFactoryModelError(`channel ${c.name}: no samples`);
    for (const s of c.samples) {
      if (s.data.length !== n)
        throw new HistFactoryModelError(
          `channel ${c.name}, sample ${s.name}: ${s.data.length} bins, the channel has ${n}`,
        );
    }
    channels.push({ name: c.name, offset: nbins, nbins: n });
    nbins += n;
  }
  const setting = (name: string) => settings.get(name);
  /** Declare (or find) a parameter set of `count` parameters; returns the first index. */
  const declare = (name: string, count: number, make: (i: number) => Omit<Param, 'name'>): number => {
    const found = byName.get(name);
    if (found !== undefined) return found;
    const first = params.length;
    const s = setting(name);
    for (let i = 0; i < count; i++) {
      const p = make(i);
      params.push({
        name: count === 1 ? name : `${name}[${i}]`,
        ...p,
        init: s?.inits?.[i] ?? p.init,
        lo: s?.bounds?.[i]?.[0] ?? p.lo,
        hi: s?.bounds?.[i]?.[1] ?? p.hi,
        fixed: s?.fixed ?? p.fixed,
        aux: s?.auxdata?.[i] ?? p.aux,
        constraint:
          p.constraint?.kind === 'normal'
            ? { kind: 'normal', sigma: s?.sigmas?.[i] ?? p.constraint.sigma }
            : p.constraint,
      });
    }
    byName.set(name, first);
    return first;
  };
  const free = (): Omit<Param, 'name'> => ({ init: 1, lo: 0, hi: 10, fixed: false, aux: 0 });
  const alpha = (): Omit<Param, 'name'> => ({
    init: 0,
    lo: -5,
    hi: 5,
    fixed: false,
    aux: 0,
    constraint: { kind: 'normal', sigma: 1 },
  });

  // Staterror σ per bin: √(Σ_s δ_sb²) / Σ_s nominal_sb over the samples that carry the modifier (pyhf staterror).
  const staterror = new Map<string, { channel: number; sumNom: Float64Array; sumVar: Float64Array }>();
  spec.channels.forEach((c, ci) => {
    for (const s of c.samples) {
      for (const m of s.modifiers) {
        if (m.type !== 'staterror') continue;
        const key = m.name;
        const n = channels[ci]!.nbins;
        const e = staterror.get(key) ?? { channel: ci, sumNom: new Float64Array(n), sumVar: new Float64Array(n) };
        if (e.channel !== ci) throw new HistFactoryModelError(`staterror ${key}: used in two channels`);
        for (let b = 0; b < n; b++) {
          e.sumNom[b]! += s.data[b]!;
          e.sumVar[b]! += m.data[b]! ** 2;
        }
        staterror.set(key, e);
      }
    }
  });

  const samples: CompiledSample[] = [];
  const poiName = spec.poi;
  spec.channels.forEach((c, ci) => {
    const ch = channels[ci]!;
    for (const s of c.samples) {
      const terms: Term[] = [];
      for (const m of s.modifiers) {
        const where = `channel ${c.name}, sample ${s.name}, modifier ${m.name}`;
        switch (m.type) {
          case 'normfactor':
            terms.push({ kind: 'scale', param: declare(m.name, 1, free) });
            break;
          case 'lumi': {
            const st = setting(m.name);
            if (!st?.sigmas?.length || !st.auxdata?.length)
              throw new HistFactoryModelError(
                `${where}: lumi needs auxdata and sigmas in the measurement's parameters`,
              );
            terms.push({
              kind: 'scale',
              param: declare(m.name, 1, () => ({
                init: st.auxdata![0]!,
                lo: 0,
                hi: 10 * st.auxdata![0]!,
                fixed: false,
                aux: st.auxdata![0]!,
                constraint: { kind: 'normal', sigma: st.sigmas![0]! },
              })),
            });
            break;
          }
          case 'shapefactor':
            terms.push({ kind: 'perbin', first: declare(m.name, ch.nbins, free) });
            break;
          case 'normsys': {
            const code = spec.interpolation?.normsys ?? 'code4';
            const { lo, hi } = m.data;
            if (!(lo > 0 && hi > 0))
              throw new HistFactoryModelError(`${where}: normsys lo and hi must be > 0 (got ${lo}, ${hi})`);
            terms.push({
              kind: 'normsys',
              param: declare(m.name, 1, alpha),
              lo,
              hi,
              code,
              coef: code4Coefficients(lo, hi),
            });
            break;
          }
          case 'histosys': {
            const { lo_data: lo, hi_data: hi } = m.data;
            if (lo.length !== ch.nbins || hi.length !== ch.nbins)
              throw new HistFactoryModelError(`${where}: lo_data/hi_data need ${ch.nbins} bins`);
            const up = Float64Array.from(hi, (v, b) => v - s.data[b]!),
              down = Float64Array.from(lo, (v, b) => s.data[b]! - v);
            terms.push({
              kind: 'histosys',
              param: declare(m.name, 1, alpha),
              lo: down,
              hi: up,
              code: spec.interpolation?.histosys ?? 'code4p',
            });
            break;
          }
          case 'shapesys': {
            if (m.data.length !== ch.nbins)
              throw new HistFactoryModelError(`${where}: shapesys data needs ${ch.nbins} bins`);
            // pyhf: a bin with no yield or no uncertainty has γ fixed at 1 (and a constant constraint term).
            const valid = m.data.map((u, b) => s.data[b]! > 0 && u > 0);
            const first = declare(m.name, ch.nbins, (b) => {
              const tau = valid[b] ? (s.data[b]! / m.data[b]!) ** 2 : 1;
              return { init: 1, lo: 1e-10, hi: 10, fixed: !valid[b], aux: tau, constraint: { kind: 'poisson', tau } };
            });
            terms.push({ kind: 'perbin', first });
            break;
          }
          case 'staterror': {
            const e = staterror.get(m.name)!;
            const first = declare(m.name, ch.nbins, (b) => {
              const sigma = e.sumNom[b]! > 0 ? Math.sqrt(e.sumVar[b]!) / e.sumNom[b]! : 0;
              return {
                init: 1,
                lo: 1e-10,
                hi: 10,
                fixed: sigma === 0,
                aux: 1,
                constraint: { kind: 'normal', sigma: sigma || 1 },
              };
            });
            terms.push({ kind: 'perbin', first });
            break;
          }
          default:
            throw new HistFactoryModelError(
              `${where}: unsupported modifier type '${(m as { type: string }).type}' (supported: normfactor, lumi, normsys, histosys, shapesys, staterror, shapefactor)`,
            );
        }
      }
      samples.push({ offset: ch.offset, nominal: Float64Array.from(s.data), terms });
    }
  });
  const poi = byName.get(poiName);
  if (poi === undefined)
    throw new HistFactoryModelError(`parameter of interest '${poiName}' is not a normfactor of the model`);
  if (params[poi]!.constraint)
    throw new HistFactoryModelError(`parameter of interest '${poiName}' is constrained; it must be a free normfactor`);
  return { params, poi, nbins, channels, samples };
}

// ---- likelihood ----------------------------------------------------------------------------------------------

/** Expected main-measurement rates ν (length nbins) and, when `jac` is given, ∂ν/∂θ (row-major nbins × nparams). */
export function expectedRates(m: CompiledModel, theta: ArrayLike<number>, jac?: Float64Array): Float64Array {
  const np = m.params.length;
  const nu = new Float64Array(m.nbins);
  if (jac) jac.fill(0);
  for (const s of m.samples) {
    const n = s.nominal.length;
    for (let b = 0; b < n; b++) {
      // base = nominal + Σ histosys; factors f_k with derivative d_k on parameter p_k.
      let base = s.nominal[b]!;
      const fp: number[] = [],
        fv: number[] = [],
        fd: number[] = [];
      const hp: number[] = [],
        hd: number[] = [];
      for (const t of s.terms) {
        if (t.kind === 'histosys') {
          const [d, dd] = histosysDelta(t.code, t.hi[b]!, t.lo[b]!, theta[t.param]!);
          base += d;
          hp.push(t.param);
          hd.push(dd);
        } else if (t.kind === 'scale') {
          fp.push(t.param);
          fv.push(theta[t.param]!);
          fd.push(1);
        } else if (t.kind === 'perbin') {
          fp.push(t.first + b);
          fv.push(theta[t.first + b]!);
          fd.push(1);
        } else {
          const [f, d] = normsysFactor(t, theta[t.param]!);
          fp.push(t.param);
          fv.push(f);
          fd.push(d);
        }
      }
      let mult = 1;
      for (const f of fv) mult *= f;
      const i = s.offset + b;
      nu[i]! += base * mult;
      if (!jac) continue;
      for (let k = 0; k < hp.length; k++) jac[i * np + hp[k]!]! += hd[k]! * mult;
      for (let k = 0; k < fp.length; k++) {
        let others = 1;
        for (let j = 0; j < fv.length; j++) if (j !== k) others *= fv[j]!;
        jac[i * np + fp[k]!]! += base * others * fd[k]!;
      }
    }
  }
  return nu;
}

/** Observed data: main counts per global bin, auxiliary measurements per parameter (ignored where unconstrained). */
export interface HistFactoryData {
  main: ArrayLike<number>;
  aux: ArrayLike<number>;
}

/** The model's own auxiliary data (pyhf `model.config.auxdata`, one entry per parameter here). */
export function nominalAux(m: CompiledModel): Float64Array {
  return Float64Array.from(m.params, (p) => p.aux);
}

/** −ln L (constants dropped) and its gradient. Returns NaN outside the domain (ν ≤ 0, γ ≤ 0 under a Poisson constraint). */
export function nll(m: CompiledModel, data: HistFactoryData, theta: ArrayLike<number>, grad?: Float64Array): number {
  const np = m.params.length;
  const jac = grad ? new Float64Array(m.nbins * np) : undefined;
  const nu = expectedRates(m, theta, jac);
  if (grad) grad.fill(0);
  let f = 0;
  for (let i = 0; i < m.nbins; i++) {
    const v = nu[i]!,
      n = data.main[i]!;
    if (!(v > 0)) {
      if (v === 0 && n === 0) continue;
      return NaN;
    }
    f += v - (n > 0 ? n * Math.log(v) : 0);
    if (grad) {
      const w = 1 - n / v;
      for (let k = 0; k < np; k++) grad[k]! += w * jac![i * np + k]!;
    }
  }
  for (let k = 0; k < np; k++) {
    const p = m.params[k]!,
      c = p.constraint;
    if (!c) continue;
    const x = theta[k]!,
      a = data.aux[k]!;
    if (c.kind === 'normal') {
      f += (x - a) ** 2 / (2 * c.sigma * c.sigma);
      if (grad) grad[k]! += (x - a) / (c.sigma * c.sigma);
    } else {
      const r = x * c.tau;
      if (!(r > 0)) return NaN;
      f += r - (a > 0 ? a * Math.log(r) : 0);
      if (grad) grad[k]! += c.tau - (a > 0 ? a / x : 0);
    }
  }
  return f;
}

export interface ConditionalFit {
  theta: Float64Array;
  nll: number;
  converged: boolean;
}

/** Minimise −ln L over the free nuisance parameters with the POI (and fixed parameters) held. */
export function fitNuisances(
  m: CompiledModel,
  data: HistFactoryData,
  mu: number,
  start?: ArrayLike<number>,
): ConditionalFit {
  const theta = start ? Float64Array.from(start) : Float64Array.from(m.params, (p) => p.init);
  theta[m.poi] = mu;
  const free: number[] = [];
  m.params.forEach((p, k) => {
    if (k !== m.poi && !p.fixed) free.push(k);
  });
  if (!free.length) return { theta, nll: nll(m, data, theta), converged: true };
  const nf = free.length;
  const full = new Float64Array(theta),
    g = new Float64Array(m.params.length),
    g2 = new Float64Array(m.params.length);
  const inside = (x: Float64Array): boolean => {
    for (let j = 0; j < nf; j++) {
      const p = m.params[free[j]!]!;
      if (!(x[j]! >= p.lo && x[j]! <= p.hi)) return false;
    }
    return true;
  };
  const objective = (x: Float64Array, grad: Float64Array | null, hess: Float64Array | null): number => {
    if (!inside(x)) return NaN;
    for (let j = 0; j < nf; j++) full[free[j]!] = x[j]!;
    const f = nll(m, data, full, g);
    if (!Number.isFinite(f)) return NaN;
    if (grad) for (let j = 0; j < nf; j++) grad[j] = g[free[j]!]!;
    if (hess) {
      // Central differences of the exact gradient (symmetrised).
      for (let j = 0; j < nf; j++) {
        const k = free[j]!,
          x0 = full[k]!,
          h = 1e-5 * Math.max(1, Math.abs(x0));
        full[k] = x0 + h;
        nll(m, data, full, g2);
        const gp = Float64Array.from(free, (q) => g2[q]!);
        full[k] = x0 - h;
        nll(m, data, full, g2);
        full[k] = x0;
        for (let i = 0; i < nf; i++) hess[j * nf + i] = (gp[i]! - g2[free[i]!]!) / (2 * h);
      }
      for (let j = 0; j < nf; j++)
        for (let i = 0; i < j; i++) {
          const v = 0.5 * (hess[j * nf + i]! + hess[i * nf + j]!);
          hess[j * nf + i] = v;
          hess[i * nf + j] = v;
        }
      for (let i = 0; i < hess.length; i++) if (!Number.isFinite(hess[i]!)) return NaN;
    }
    return f;
  };
  const r = minimizeNewton(
    objective,
    free.map((k) => theta[k]!),
    { edmTolerance: 1e-14, maxIterations: 500 },
  );
  for (let j = 0; j < nf; j++) theta[free[j]!] = r.x[j]!;
  return { theta, nll: nll(m, data, theta), converged: r.converged };
}

/** ∂(−ln L)/∂μ at a conditional fit: the derivative of the profile likelihood in μ. */
function profileSlope(m: CompiledModel, data: HistFactoryData, fit: ConditionalFit): number {
  const g = new Float64Array(m.params.length);
  nll(m, data, fit.theta, g);
  return g[m.poi]!;
}

/** Unconditional fit with the POI bounded to its range (pyhf's suggested bounds, [0, 10] by default). */
export function fitFree(m: CompiledModel, data: HistFactoryData): ConditionalFit & { muHat: number } {
  const { lo, hi } = m.params[m.poi]!;
  let fit = fitNuisances(m, data, lo);
  if (profileSlope(m, data, fit) >= 0) return { ...fit, muHat: lo };
  const top = fitNuisances(m, data, hi, fit.theta);
  if (profileSlope(m, data, top) <= 0) return { ...top, muHat: hi };
  // Bisection on the slope's sign change, warm-started inner fits; then a last fit at the root.
  let a = lo,
    b = hi;
  for (let it = 0; it < 100 && b - a > 1e-12 * Math.max(1, Math.abs(b)); it++) {
    const mid = 0.5 * (a + b);
    const f = fitNuisances(m, data, mid, fit.theta);
    if (profileSlope(m, data, f) < 0) {
      a = mid;
      fit = f;
    } else b = mid;
  }
  const muHat = 0.5 * (a + b);
  return { ...fitNuisances(m, data, muHat, fit.theta), muHat };
}
