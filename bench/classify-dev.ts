import path from 'node:path';
import { readLhco, concat, take } from './lhco-data.js';
import { fitHgb, predictProba } from '../src/classify/hgb.js';
import { rocCurve, auc, maxSic } from '../src/classify/metrics.js';
const dir = process.argv[2]!;
const t0 = Date.now();
const tr = await readLhco(path.join(dir, 'sr_train.parquet'));
const va = await readLhco(path.join(dir, 'sr_val.parquet'));
const te = await readLhco(path.join(dir, 'sr_test.parquet'));
console.log('read', (Date.now() - t0) / 1000);
const data = concat(tr, va);
const bkg: number[] = [], rest: number[] = [];
for (let i = 0; i < te.n; i++) { if (te.label[i] === 0 && bkg.length < 20000) bkg.push(i); else rest.push(i); }
let tmpl = take(te, bkg); const ev = take(te, rest);
if (process.env.KDE) {
  const { mulberry32 } = await import('../src/classify/random.js');
  const rand = mulberry32(99); const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const over = Number(process.env.OVER ?? 5), h = Number(process.env.KDE);
  const sd = tmpl.columns.map((c) => { let s = 0, s2 = 0; for (const v of c) { s += v; s2 += v * v; } const m = s / c.length; return Math.sqrt(s2 / c.length - m * m); });
  const n2 = tmpl.n * over;
  const cols = tmpl.columns.map(() => new Float32Array(n2));
  for (let k = 0; k < n2; k++) { const i = Math.floor(rand() * tmpl.n); for (let f = 0; f < cols.length; f++) cols[f]![k] = tmpl.columns[f]![i]! + h * sd[f]! * gauss(); }
  tmpl = { columns: cols, mjj: new Float32Array(n2), label: new Uint8Array(n2), n: n2 };
}
const all = concat(data, tmpl);
const y = new Uint8Array(all.n); y.fill(1, 0, data.n);
const w = new Float32Array(all.n); w.fill(1, 0, data.n); w.fill(process.env.NOW ? 1 : data.n / tmpl.n, data.n);
const N = Number(process.argv[3] ?? 5);
const params = JSON.parse(process.argv[4] ?? '{}');
const avg = new Float64Array(ev.n); const avgL = new Float64Array(ev.n); const all_: Float64Array[] = [];
let tt = 0;
for (let m = 0; m < N; m++) {
  const s = performance.now();
  let rowsM: Uint32Array | undefined;
  if (process.env.BAG) { const { mulberry32 } = await import('../src/classify/random.js'); const rr = mulberry32(1000 + m); const f = Number(process.env.BAG); const arr: number[] = []; for (let i = 0; i < all.n; i++) if (rr() < f) arr.push(i); rowsM = Uint32Array.from(arr); }
  const model = fitHgb({ columns: all.columns, y, weight: w, rows: rowsM }, { ...params, seed: m });
  tt += performance.now() - s;
  const p = predictProba(model, ev.columns);
  for (let i = 0; i < ev.n; i++) { avg[i] += p[i]! / N; avgL[i] += Math.log(p[i]! / (1 - p[i]!)) / N; } all_.push(p);
  const r = rocCurve(p, ev.label);
  console.log(m, model.nIter, ((performance.now() - s) / 1000).toFixed(3), auc(r).toFixed(4), maxSic(r).toFixed(2), maxSic(r, 100).toFixed(2));
}
const r = rocCurve(avg, ev.label);
console.log('ens', (tt / N / 1000).toFixed(3), auc(r).toFixed(4), maxSic(r).toFixed(2), maxSic(r, 100).toFixed(2));
{ const r2 = rocCurve(avgL, ev.label); console.log('logit-avg', auc(r2).toFixed(4), maxSic(r2).toFixed(2), maxSic(r2, 100).toFixed(2)); }
{ const med = new Float64Array(ev.n); const col = new Float64Array(N); for (let i = 0; i < ev.n; i++) { for (let m = 0; m < N; m++) col[m] = all_[m]![i]!; col.sort(); med[i] = col[N >> 1]!; } const r3 = rocCurve(med, ev.label); console.log('median', auc(r3).toFixed(4), maxSic(r3).toFixed(2), maxSic(r3, 100).toFixed(2)); }
