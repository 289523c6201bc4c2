/** The verdict on a finished run (src/events/run-status.ts), from its totals and results. */
import { describe, expect, it } from '@jest/globals';
import type { WindowResult } from '../../src/events/result.js';
import { judgeRun } from '../../src/events/run-status.js';

const totals = { read: 100, accepted: 100, rejected: 0, rejectedByReason: {} };

function result(id: string, opts: { converged?: boolean; error?: string; sb?: number; sr?: number; status?: string }) {
  const r: WindowResult = {
    runId: 'r',
    topology: 't',
    window: { id, sr: [1, 2], sb: [] },
    workingPoint: null,
    trigger: 'end',
    cutflow: [],
    counts: { sr: opts.sr ?? 10, sbLow: opts.sb ?? 10, sbHigh: 0 },
    valid: !opts.error && (opts.converged ?? true),
    createdAt: '',
  };
  if (opts.status) r.invalid = [{ reason: 'fit_failed', detail: opts.status }];
  if (opts.error) r.error = opts.error;
  else
    r.fit = {
      function: 'dijet3',
      params: [],
      covariance: [],
      chi2: 1,
      ndf: 1,
      pvalue: 0.5,
      sbRange: [0, 1],
      prediction: [],
      predictionErr: [],
      converged: opts.converged ?? true,
      status: opts.converged === false ? 'failed' : 'ok',
      reason: opts.status ?? 'accepted',
    };
  return r;
}

describe('run status', () => {
  it('ok when at least one final result has a converged fit', () => {
    expect(judgeRun(totals, [result('a', {}), result('b', { converged: false })])).toEqual({
      status: 'ok',
      message: '1 of 2 windows with a valid result',
    });
  });

  it('no-input when nothing was accepted: nothing read, all rejected, inputs with rows unknown', () => {
    expect(judgeRun({ ...totals, read: 0, accepted: 0 }, [])).toEqual({
      status: 'no-input',
      message: 'no usable input: the source delivered no events',
    });
    expect(
      judgeRun({ read: 7, accepted: 0, rejected: 7, rejectedByReason: { nan: 3, bad_type: 4, unreadable: 0 } }, []),
    ).toEqual({ status: 'no-input', message: 'no usable input: all 7 events read were rejected (nan 3, bad_type 4)' });
    expect(
      judgeRun({ read: 0, accepted: 0, rejected: 0, rejectedByReason: {}, unreadable: 3, rowsUnknown: 3 }, []).message,
    ).toBe('no usable input: 3 inputs unreadable (rows unknown)');
    expect(
      judgeRun(
        { read: 9, accepted: 0, rejected: 9, rejectedByReason: { unreadable: 9 }, unreadable: 2, rowsUnknown: 1 },
        [],
      ).message,
    ).toBe(
      'no usable input: all 9 events read were rejected (unreadable 9); 2 inputs unreadable (1 with rows unknown)',
    );
  });

  it('analysis-failed when no window has a valid result, grouped by reason, empty sidebands called out', () => {
    const v = judgeRun(totals, [
      result('a', { sb: 0, converged: false }),
      result('b', { error: 'classifier: training pool: closed' }),
      result('c', { converged: false, status: 'fit failed: p < 0.05' }),
      result('d', { converged: false, status: 'fit failed: p < 0.05' }),
    ]);
    expect(v.status).toBe('analysis-failed');
    expect(v.message).toBe(
      'analysis failed: none of 4 windows produced a valid result (a: no events in the sidebands, so no background fit ' +
        'can be made (does the input hold only signal-region events?); b: classifier: training pool: closed; ' +
        'c, d: fit_failed: fit failed: p < 0.05)',
    );
    expect(judgeRun(totals, []).message).toBe('analysis failed: no window was analysed');
  });

  it('judges the end-of-stream results when there are any, not the intermediate ones', () => {
    const early = { ...result('a', {}), trigger: 'threshold' as const };
    expect(judgeRun(totals, [early, result('a', { converged: false })]).status).toBe('analysis-failed');
    expect(judgeRun(totals, [early]).status).toBe('ok');
  });
});
