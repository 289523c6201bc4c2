/**
 * How every bench reports a figure that varies with a seed: the median, the 16–84 % range (the central 68 %, a
 * ±1σ band that a handful of seeds can estimate without assuming a Gaussian) and the per-seed values, so a reader
 * sees the spread a single seed would hide. Targets are judged on the median. Also the conditions a figure was
 * measured under (date, load average, cores), because timings on a shared machine are only as good as those.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';

export interface SeedSummary {
  median: number;
  p16: number;
  p84: number;
  n: number;
  /** Per-seed values in seed order (null where a seed gave no value, e.g. an invalid window). */
  values: (number | null)[];
}

/** Quantile q of ascending values, linear interpolation between order statistics (numpy's default). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Median and 16–84 % range over the finite values; undefined/NaN entries (a seed without a value) are kept in
 * `values` as null and left out of the statistics, never counted as zero.
 */
export function summarize(values: (number | undefined | null)[], digits = 4): SeedSummary {
  const round = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : Number.NaN);
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const sorted = finite.slice().sort((a, b) => a - b);
  return {
    median: round(quantile(sorted, 0.5)),
    p16: round(quantile(sorted, 0.16)),
    p84: round(quantile(sorted, 0.84)),
    n: finite.length,
    values: values.map((v) => (typeof v === 'number' && Number.isFinite(v) ? round(v) : null)),
  };
}

/** Plain median of finite values (NaN when none). */
export function median(values: number[]): number {
  return quantile(
    values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b),
    0.5,
  );
}

/** The conditions of a measurement: recorded in every bench's JSON. */
export function benchEnvironment(): Record<string, unknown> {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** Load average at the end of a run, to put next to the one at the start. */
export function loadAverageNow(): number[] {
  return os.loadavg().map((x) => Number(x.toFixed(2)));
}

/** The seeds of a run: the list `--seed-list a,b,c` when given, else `--seeds N` seeds from `first` (default `n`). */
export function seedList(list: string | undefined, count: string | undefined, first: number, n: number): number[] {
  if (list) return list.split(',').map((s) => Number(s.trim()));
  return Array.from({ length: count ? Number(count) : n }, (_, k) => first + k);
}

/** Print a bench's JSON report (and write it to `out` when given). */
export function emitReport(report: unknown, out?: string): void {
  const text = JSON.stringify(report, null, 2);
  if (out) writeFileSync(out, `${text}\n`);
  process.stdout.write(`${text}\n`);
}

/** Run a bench's main: a failure prints its stack and sets the exit code; `cleanup` runs either way. */
export function runBench(name: string, main: () => Promise<void>, cleanup: () => void = () => {}): void {
  main()
    .catch((e) => {
      process.stderr.write(`bench:${name} failed: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 1;
    })
    .finally(cleanup);
}
