/**
 * A window result as a pyhf workspace: the statistical model behind the result's limits, in the format physicists
 * combine and re-interpret with pyhf. One channel `SR`, one bin: the merged signal region of the local significance
 * (seed 000 §V.D.3/5), with
 *   - `background`: the sideband fit's prediction in the SR, its fit uncertainty as a shapesys (the
 *     Poisson-constrained auxiliary measurement that stats/cls.ts profiles in closed form);
 *   - `signal`: one event, scaled by the normfactor `mu` — so μ is the number of signal events in the SR, and the
 *     workspace's CLs and limits are exactly the result's `limits` and `sideband stats cls --n --b --sigma-b --s 1`;
 *   - observations: the SR count.
 * The patchset holds signal hypotheses: Gaussian resonances at the SR centre of relative widths 5, 10 and 15 %,
 * each normalised to one selected signal event, so a patch sets the signal yield to the fraction that falls in the
 * SR and μ becomes the number of selected signal events of that resonance.
 *
 * Counts are scaled by c = n/V, the observed SR count over its variance (1 for Poisson data; 1/ε for a working
 * point that keeps a fixed fraction ε of the SR events, whose count then varies far less than a Poisson count):
 * pyhf's Poisson term then has the SR count's own variance, as the result's significance and limits do
 * (analysis/window-analysis.ts). Signal data is c per event, so μ still counts signal events. Invalid results
 * (analysis/analyse-window.ts) get no workspace, as they get no limits.
 */
import { createHash } from 'node:crypto';
import type { WindowResult } from '../events/result.js';
import { normalCdf } from '../stats/special.js';
import type { Patchset, Workspace } from './pyhf-workspace.js';

/** Relative widths σ/m of the Gaussian signal hypotheses in the patchset. */
export const SIGNAL_WIDTHS = [0.05, 0.1, 0.15];

export function workspaceName(r: WindowResult): string {
  return `${r.window.id}-${r.workingPoint === null ? 'inclusive' : `wp${r.workingPoint}`}`;
}

/** The workspace of a result, or undefined when the result has no accepted fit (then it has no limits either). */
/** The count scale c = n/V of a result (see the header). */
export function countScale(r: WindowResult): number {
  const sig = r.significance;
  const v = sig?.observedVariance ?? sig?.observed ?? 0;
  return sig && sig.observed > 0 && v > 0 ? sig.observed / v : 1;
}

export function windowWorkspace(r: WindowResult): Workspace | undefined {
  const sig = r.significance;
  if (!r.valid || !r.fit?.converged || !sig || !(sig.expected > 0)) return undefined;
  const { observed, expected, expectedErr } = sig;
  const c = countScale(r);
  // μ counts signal events: its range must hold any plausible excess, so the bound never decides a limit.
  const muMax = Math.max(10, 10 * (observed + 10 * Math.sqrt(observed + 1) + 10 * expectedErr));
  return {
    channels: [
      {
        name: 'SR',
        samples: [
          { name: 'signal', data: [c], modifiers: [{ name: 'mu', type: 'normfactor', data: null }] },
          {
            name: 'background',
            data: [c * expected],
            modifiers: [{ name: 'background_fit', type: 'shapesys', data: [c * expectedErr] }],
          },
        ],
      },
    ],
    observations: [{ name: 'SR', data: [c * observed] }],
    measurements: [
      { name: workspaceName(r), config: { poi: 'mu', parameters: [{ name: 'mu', inits: [1], bounds: [[0, muMax]] }] } },
    ],
    version: '1.0.0',
  };
}

/** Fraction of a Gaussian (mean m, width s) inside [a, b). */
function gaussianFraction(m: number, s: number, a: number, b: number): number {
  return normalCdf((b - m) / s) - normalCdf((a - m) / s);
}

export function signalPatchset(r: WindowResult, ws: Workspace): Patchset {
  const [lo, hi] = r.window.sr;
  const mass = 0.5 * (lo + hi);
  return {
    metadata: {
      description: `sideband: Gaussian signal hypotheses at the centre of window ${r.window.id}, normalised to one selected event; patch sets the SR signal yield`,
      digests: { sha256: pyhfDigest(ws) },
      labels: ['mass_GeV', 'relative_width'],
      // pyhf's schema wants a HEPData record here; a search result has none yet.
      references: {},
    },
    patches: SIGNAL_WIDTHS.map((w) => ({
      metadata: { name: `gauss_m${Math.round(mass)}_w${Math.round(w * 100)}`, values: [mass, w] },
      patch: [
        {
          op: 'replace' as const,
          path: '/channels/0/samples/0/data',
          value: [countScale(r) * gaussianFraction(mass, w * mass, lo, hi)],
        },
      ],
    })),
    version: '1.0.0',
  };
}

/**
 * pyhf.utils.digest: SHA-256 of json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(',', ':')) of the
 * document as Python parses it from our file, so numbers print as Python does (integers as written, floats in
 * repr form: '0.5', '1e-07', '1e+16').
 */
export function pyhfDigest(doc: unknown): string {
  return createHash('sha256').update(pythonJson(doc), 'utf8').digest('hex');
}

function pythonFloat(x: number): string {
  const [mant, expPart] = x.toExponential().split('e') as [string, string];
  const e = Number(expPart);
  if (e < -4 || e >= 16) return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  const s = String(x);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

function pythonJson(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number') {
    // JSON.stringify writes integral values without a point, and Python reads those back as int.
    const js = JSON.stringify(v);
    return /^-?\d+$/.test(js) ? js : pythonFloat(v);
  }
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${pythonJson(o[k])}`)
    .join(',')}}`;
}
