/**
 * Derives the fitted background shapes of the DDP training set (src/analysis/ddp-shapes.ts), the analogue of
 * seed 002 §5.2.1's "Dark Machine" and "HEP data" shapes:
 *  - the real ATLAS 139 fb⁻¹ dijet spectrum (../shared/data/atlas-dijet-139fb) fitted over all 91 bins with each
 *    of the project's dijet functions (dijet3, dijet4, dijet5, ua2);
 *  - spectra of the project's event generator (src/sources/generator.ts, fixed seed) in exclusive categories, as
 *    seed 002 splits the Dark Machines sample by its objects: the lighter jet's mass in the windows of §5.2.1's
 *    object definitions (light < 60 GeV, V-like 60–110, top-like 110–200, high-mass > 200), both jets two-prong
 *    (τ21 < 0.5) or not, and |Δη| < 1.3 or not. Each category's mjj histogram (ATLAS binning) is fitted with
 *    dijet4 from the bin after its maximum (seed 002: "avoid humps at the low mass region") to the last bin with
 *    at least 10 events, and kept if the fit converges.
 * Deterministic (generator seed and event count below). Prints the TypeScript module to stdout, or writes it:
 *   node dist/bench/ddp-shapes.js [--write] [--events N]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitShape, type FittedShape } from '../src/analysis/ddp-families.js';
import { parseSpectrumTable } from '../src/formats/spectrum-csv.js';
import { EventGenerator } from '../src/sources/generator.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sharedDir = process.env.SIDEBAND_SHARED ?? path.resolve(repoRoot, '../shared');
const ATLAS_CSV_NAME = 'data/atlas-dijet-139fb/atlas_dijet_139fb_ins1759712_table2.csv';
const atlasCsv = path.join(sharedDir, ATLAS_CSV_NAME);

export const GENERATOR_SEED = 20020515;
export const GENERATOR_EVENTS = 10_000_000;
export const ATLAS_FUNCTIONS = ['dijet3', 'dijet4', 'dijet5', 'ua2'];

/** The ATLAS shapes: one fit per function over the whole spectrum. */
export function atlasShapes(csvText: string, file = ATLAS_CSV_NAME): FittedShape[] {
  const t = parseSpectrumTable(csvText, file);
  const spec = { lo: t.lo, hi: t.hi, counts: t.observed };
  const out: FittedShape[] = [];
  for (const fn of ATLAS_FUNCTIONS) {
    const source = 'ATLAS 139/fb dijet (HEPData ins1759712 Table 2), observed, all bins';
    const s = fitShape(`atlas139/${fn}`, source, spec, fn, [0, Infinity]);
    if (s) out.push(s);
  }
  return out;
}

interface Category {
  id: string;
  mjLo: number;
  mjHi: number;
  twoProng: boolean;
  central: boolean;
}

function categories(): Category[] {
  const mass: [string, number, number][] = [
    ['mjlight<60', 0, 60],
    ['mjlight60-110', 60, 110],
    ['mjlight110-200', 110, 200],
    ['mjlight>200', 200, Infinity],
  ];
  const out: Category[] = [];
  for (const [m, lo, hi] of mass)
    for (const twoProng of [false, true])
      for (const central of [false, true]) {
        const id = `${m}${twoProng ? '/tau21<0.5' : ''}${central ? '/deta<1.3' : ''}`;
        out.push({ id, mjLo: lo, mjHi: hi, twoProng, central });
      }
  return out;
}

/** The generator shapes: category histograms in the ATLAS binning, each fitted with dijet4. */
export function generatorShapes(
  edgesLo: Float64Array,
  edgesHi: Float64Array,
  events = GENERATOR_EVENTS,
  seed = GENERATOR_SEED,
): FittedShape[] {
  const cats = categories();
  const nb = edgesLo.length;
  const hist = cats.map(() => new Float64Array(nb));
  const gen = new EventGenerator({ events, seed });
  const first = edgesLo[0]!,
    last = edgesHi[nb - 1]!;
  while (gen.remaining > 0) {
    const b = gen.next(65536);
    const c = b.columns;
    const mjj = c.mjj!,
      m1 = c.jet1_m!,
      m2 = c.jet2_m!,
      e1 = c.jet1_eta!,
      e2 = c.jet2_eta!;
    const t11 = c.jet1_tau1!,
      t12 = c.jet1_tau2!,
      t21 = c.jet2_tau1!,
      t22 = c.jet2_tau2!;
    for (let i = 0; i < b.length; i++) {
      const m = mjj[i]!;
      if (m < first || m >= last) continue;
      // Bin by bisection over the ascending lower edges.
      let lo = 0,
        hi = nb - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (edgesLo[mid]! <= m) lo = mid;
        else hi = mid - 1;
      }
      if (m >= edgesHi[lo]!) continue;
      const mLight = Math.min(m1[i]!, m2[i]!);
      const twoProng = t12[i]! / t11[i]! < 0.5 && t22[i]! / t21[i]! < 0.5;
      const central = Math.abs(e1[i]! - e2[i]!) < 1.3;
      for (let k = 0; k < cats.length; k++) {
        const cat = cats[k]!;
        if (mLight < cat.mjLo || mLight >= cat.mjHi) continue;
        if (cat.twoProng && !twoProng) continue;
        if (cat.central && !central) continue;
        hist[k]![lo] = hist[k]![lo]! + 1;
      }
    }
  }
  const out: FittedShape[] = [];
  cats.forEach((cat, k) => {
    const h = hist[k]!;
    let peak = 0;
    for (let i = 1; i < nb; i++) if (h[i]! > h[peak]!) peak = i;
    let end = nb - 1;
    while (end > peak && h[end]! < 10) end--;
    if (end - peak < 10) return;
    const centre = (i: number) => 0.5 * (edgesLo[i]! + edgesHi[i]!);
    const source = `generator seed ${seed}, ${events} events, ATLAS binning, ${cat.id}`;
    const s = fitShape(`generator/${cat.id}/dijet4`, source, { lo: edgesLo, hi: edgesHi, counts: h }, 'dijet4', [
      centre(peak + 1),
      centre(end),
    ]);
    if (s) out.push(s);
  });
  return out;
}

function render(shapes: FittedShape[], events: number): string {
  // Single-quoted TypeScript string literals (the project's style); ids and sources hold no quotes.
  const q = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const rows = shapes.map((s) =>
    [
      '  {',
      `    id: ${q(s.id)},`,
      `    function: ${q(s.function)},`,
      `    params: [${s.params.map((p) => p.toPrecision(12)).join(', ')}],`,
      `    mjjRange: [${s.mjjRange[0]}, ${s.mjjRange[1]}],`,
      `    sqrtS: ${s.sqrtS},`,
      `    chi2: ${s.chi2.toFixed(3)},`,
      `    ndf: ${s.ndf},`,
      `    source: ${q(s.source)},`,
      '  },',
    ].join('\n'),
  );
  return `/**
 * Fitted background shapes of the DDP training set (seed 002 §5.2.1), generated by bench/ddp-shapes.ts — do not
 * edit by hand; rerun \`npm run build && node dist/bench/ddp-shapes.js --write\`:
 *  - atlas139/*: the ATLAS 139 fb⁻¹ dijet spectrum (HEPData ins1759712 Table 2, in ../shared as
 *    ${ATLAS_CSV_NAME}),
 *    observed counts, all 91 bins, one Poisson fit per dijet function;
 *  - generator/*: the project's event generator, seed ${GENERATOR_SEED}, ${events} events, in exclusive categories
 *    (lighter-jet mass window, both jets τ21 < 0.5, |Δη| < 1.3), mjj in the ATLAS binning, fitted with dijet4 from
 *    the bin after the histogram's maximum to the last bin with ≥ 10 events.
 * test/analysis/ddp-families.test.ts refits the ATLAS shapes and checks them against these numbers.
 */
import type { FittedShape } from './ddp-families.js';

export const FITTED_SHAPES: readonly FittedShape[] = [
${rows.join('\n')}
];
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const ev = args.indexOf('--events');
  const events = ev >= 0 ? Number(args[ev + 1]) : GENERATOR_EVENTS;
  const text = readFileSync(atlasCsv, 'utf8');
  const t = parseSpectrumTable(text, atlasCsv);
  const t0 = performance.now();
  const shapes = [...atlasShapes(text), ...generatorShapes(t.lo, t.hi, events)];
  const module = render(shapes, events);
  process.stderr.write(`ddp-shapes: ${shapes.length} shapes in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  for (const s of shapes) {
    const fit = `chi2/ndf ${s.chi2.toFixed(1)}/${s.ndf}`;
    process.stderr.write(`  ${s.id.padEnd(50)} ${fit}  range ${s.mjjRange.join('-')} GeV\n`);
  }
  if (args.includes('--write')) writeFileSync(path.join(repoRoot, 'src/analysis/ddp-shapes.ts'), module);
  else process.stdout.write(module);
}
