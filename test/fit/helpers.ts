/** Shared inputs for the fit and stats tests: the real ATLAS spectrum and seeded smooth toy spectra. */
import { readFileSync } from 'node:fs';
import { parseSpectrumTable } from '../../src/formats/spectrum-csv.js';
import type { seededPoisson } from '../../src/stats/random.js';
import { normalCdf } from '../../src/stats/special.js';
import { atlasSpectrumCsv } from '../helpers/paths.js';

export interface AtlasSpectrum {
  lo: Float64Array;
  hi: Float64Array;
  counts: Float64Array;
  atlasFit: Float64Array;
  atlasFitErr: Float64Array;
}

export function loadAtlas(): AtlasSpectrum {
  const text = readFileSync(atlasSpectrumCsv, 'utf8');
  const csv = parseSpectrumTable(text, atlasSpectrumCsv);
  const rows = text
    .split('\n')
    .filter((l) => /^\d/.test(l))
    .map((l) => l.split(',').map(Number));
  return {
    lo: csv.lo,
    hi: csv.hi,
    counts: csv.observed,
    atlasFit: Float64Array.from(rows, (r) => r[3]!),
    atlasFitErr: Float64Array.from(rows, (r) => r[4]!),
  };
}

/** A window like seed 000's: 30 bins of 60 GeV over SB+SR, SR 600 GeV wide in the middle. */
export const WINDOW_EDGES = Float64Array.from({ length: 31 }, (_, i) => 2000 + 60 * i);
export const WINDOW_SR: [number, number] = [2600, 3200];

/** Expected background per bin: a dijet3 shape (p2 = 10, p3 = 5) normalised to `total` events in the window. */
export function smoothBackground(total: number, edges = WINDOW_EDGES): Float64Array {
  const nb = edges.length - 1;
  const f = (m: number) => (1 - m / 13000) ** 10 * (m / 13000) ** -5;
  const b = new Float64Array(nb);
  for (let i = 0; i < nb; i++) {
    let s = 0;
    const K = 64,
      w = edges[i + 1]! - edges[i]!;
    for (let k = 0; k < K; k++) s += f(edges[i]! + ((k + 0.5) * w) / K);
    b[i] = (s * w) / K;
  }
  const norm = total / b.reduce((a, c) => a + c, 0);
  return b.map((v) => v * norm);
}

/** Gaussian bump of `s` events at `mass` with width `width`, integrated over the bins. */
export function gaussianBump(s: number, mass: number, width: number, edges = WINDOW_EDGES): Float64Array {
  const nb = edges.length - 1;
  return Float64Array.from(
    { length: nb },
    (_, i) => s * (normalCdf((edges[i + 1]! - mass) / width) - normalCdf((edges[i]! - mass) / width)),
  );
}

export function poissonToy(expected: Float64Array, draw: ReturnType<typeof seededPoisson>): Float64Array {
  return Float64Array.from(expected, (e) => draw(e));
}

export function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  return { mean, std };
}
