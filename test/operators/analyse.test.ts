import { describe, expect, it } from '@jest/globals';
import { Subject, lastValueFrom, of, toArray } from 'rxjs';
import {
  inclusiveHistogram,
  type AnalysisPlan,
  type HistogramSelector,
  type HistogramStats,
} from '../../src/analysis/analyse-window.js';
import { analyseWindowHistogram } from '../../src/analysis/window-analysis.js';
import { WindowBuffers } from '../../src/regions/buffers.js';
import { buildWindows } from '../../src/regions/index.js';
import { analyse } from '../../src/operators/analyse.js';
import type { AnalysisRequest } from '../../src/operators/trigger.js';
import { recordingContext } from './helpers.js';

const plan: AnalysisPlan = {
  runId: 'r',
  topology: 't',
  features: ['x'],
  binning: { width: 100 },
  workingPoints: [0.1],
  fit: { strategy: 'single', sqrtS: 13000 },
  concurrency: 1,
  queue: 0,
  model: 'inclusive',
};

/** One window [3000, 4400) with a falling spectrum of 20k events buffered. */
function buffers(): WindowBuffers {
  const b = new WindowBuffers(
    buildWindows({
      scheme: 'single',
      sr: [3300, 3700],
      sb: [
        [3000, 3300],
        [3700, 4400],
      ],
    }),
    ['x'],
    { weight: false, label: false },
  );
  const n = 20000;
  const mjj = Float32Array.from({ length: n }, (_, i) => 3000 - 350 * Math.log(1 - (i + 0.5) / n) * 0.9);
  b.route(
    { mjj, x: new Float32Array(n) },
    Uint32Array.from({ length: n }, (_, i) => i),
  );
  return b;
}

const end: AnalysisRequest = { window: 0, trigger: 'end' };

describe('analyse', () => {
  it('fits each requested window and emits its result', async () => {
    const ctx = recordingContext();
    const out = await lastValueFrom(
      of(end).pipe(analyse(buffers(), plan, inclusiveHistogram, analyseWindowHistogram, ctx), toArray()),
    );
    expect(out).toHaveLength(1);
    expect(out[0]!.window.id).toBe('sr-3300-3700');
    expect(out[0]!.histogram!.counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(15000);
    expect(out[0]!.fit!.converged).toBe(true);
    expect(Number.isFinite(out[0]!.significance!.z)).toBe(true);
  });

  it('turns a failed selection into a result with the error, and the stream goes on', async () => {
    const ctx = recordingContext();
    const failing: HistogramSelector = async () => {
      throw new Error('training crashed');
    };
    const out = await lastValueFrom(
      of(end, end).pipe(analyse(buffers(), plan, failing, analyseWindowHistogram, ctx), toArray()),
    );
    expect(out.map((r) => r.error)).toEqual(['training crashed', 'training crashed']);
    expect(ctx.logs[0]).toMatch(/analysis of window sr-3300-3700 failed: training crashed/);
  });

  it('records a throwing fit as the result error', async () => {
    const throwing: HistogramStats = () => {
      throw new Error('minimizer exploded');
    };
    const [r] = await lastValueFrom(
      of(end).pipe(analyse(buffers(), plan, inclusiveHistogram, throwing, recordingContext()), toArray()),
    );
    expect(r!.error).toBe('fit: minimizer exploded');
  });

  it('skips intermediate requests that find the queue full, never end-of-stream ones', async () => {
    const ctx = recordingContext();
    const input = new Subject<AnalysisRequest>();
    const out = lastValueFrom(
      input.pipe(analyse(buffers(), plan, inclusiveHistogram, analyseWindowHistogram, ctx), toArray()),
    );
    input.next({ window: 0, trigger: 'threshold' }); // runs
    input.next({ window: 0, trigger: 'growth' }); // queue 0: skipped
    input.next(end); // always runs
    input.complete();
    expect((await out).map((r) => r.trigger)).toEqual(['threshold', 'end']);
    expect(ctx.logs.some((l) => /growth analysis skipped/.test(l))).toBe(true);
  });

  it('errors when the snapshot of a request cannot be taken (no such window)', async () => {
    await expect(
      lastValueFrom(
        of({ window: 7, trigger: 'end' } as AnalysisRequest).pipe(
          analyse(buffers(), plan, inclusiveHistogram, analyseWindowHistogram, recordingContext()),
        ),
      ),
    ).rejects.toThrow();
  });

  it('leaves the source when unsubscribed', () => {
    const input = new Subject<AnalysisRequest>();
    input
      .pipe(analyse(buffers(), plan, inclusiveHistogram, analyseWindowHistogram, recordingContext()))
      .subscribe()
      .unsubscribe();
    expect(input.observed).toBe(false);
  });
});
