/**
 * The progress display: its picture is a pure function of its state (exact frames below); the display prints log
 * lines above the bar, keeps the rate over a sliding window and follows the stages' observer calls. Drawn into a
 * real stream that plays a terminal.
 */
import { describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { Progress, SlidingRate } from '../../src/cli/progress.js';
import { bar, eta, fmtDuration, type ProgressState, renderFrame, renderLogLine } from '../../src/cli/progress-frame.js';
import type { WindowResult } from '../../src/events/result.js';
import { type CompiledRun, compileTopology } from '../../src/topology/compile.js';
import { parseTopology } from '../../src/topology/load.js';

const state: ProgressState = {
  elapsed: 12.4,
  stage: 'reading',
  read: 620_000,
  total: 1_000_000,
  selected: 131_000,
  rejected: 12,
  rate: 98_200,
  analyses: {
    done: 2,
    failed: 0,
    running: [{ window: 'sr-3200-3800', trigger: 'threshold', seconds: 3.2 }],
    queued: 1,
    meanSeconds: 4,
    concurrency: 1,
  },
  windowsWithResult: 2,
  windowsFinal: 0,
  windowsTotal: 7,
};

describe('progress frame', () => {
  it('reading: a bar, percentage, counts, rate and ETA from the known total', () => {
    expect(renderFrame(state, 200)).toEqual([
      'reading   [██████████████▉░░░░░░░░░]  62%  620,000 / 1,000,000 events  98.2k ev/s  ETA 0:04',
      'analyses  2 done · running sr-3200-3800 (threshold, 0:03) · 1 queued │ 2/7 windows with results │ 131,000 selected · 12 rejected │ 0:12',
    ]);
    expect(eta(state)).toBeCloseTo(380_000 / 98_200, 6);
  });

  it('analysing: the bar counts the windows final analyses, the ETA their mean time; no "0/s"', () => {
    const s = { ...state, stage: 'analysing', read: 1_000_000, rate: 0, windowsFinal: 3 };
    const [line] = renderFrame(s, 200);
    expect(line).toBe(
      "analysing [██████████▎░░░░░░░░░░░░░]  42%  3 / 7 windows' final analyses (4.0 s each)  ETA 0:16",
    );
    expect(line).not.toContain('/s');
  });

  it('without a total: no bar, says so', () => {
    const { total: _, ...s } = state;
    expect(renderFrame(s, 200)[0]).toBe('reading   620,000 events  98.2k ev/s  (total unknown)');
  });

  it('cuts lines to the terminal width; one plain line for logs', () => {
    for (const l of renderFrame(state, 60)) expect([...l].length).toBeLessThanOrEqual(60);
    expect(renderFrame(state, 60)[1]!.endsWith('…')).toBe(true);
    expect(renderLogLine(state)).toBe(
      'progress: reading; 620,000/1,000,000 events (62%), 98.2k/s, ETA 0:04; analyses 2 done, 1 running (sr-3200-3800), 1 queued; windows with a result 2/7; selected 131,000, rejected 12; 0:12',
    );
  });

  it('bar in eighths, durations', () => {
    expect(bar(0, 4)).toBe('░░░░');
    expect(bar(1, 4)).toBe('████');
    expect(bar(0.5 + 1 / 32, 4)).toBe('██▏░');
    expect(bar(Number.NaN, 2)).toBe('░░');
    expect(fmtDuration(65)).toBe('1:05');
    expect(fmtDuration(3 * 3600 + 5 * 60 + 9)).toBe('3:05:09');
  });
});

describe('sliding rate', () => {
  it('is the rate over the last five seconds, falling to zero when counts stop', () => {
    const r = new SlidingRate(5);
    expect(r.sample(0, 0)).toBe(0);
    expect(r.sample(1, 1000)).toBe(1000);
    expect(r.sample(2, 4000)).toBe(2000);
    for (let t = 3; t <= 9; t++) r.sample(t, 4000);
    expect(r.sample(10, 4000)).toBe(0);
  });
});

/** A real compiled run (not started): two windows, w1 = sr-2600-3200 and w2 = sr-2900-3500. */
async function compiled(): Promise<CompiledRun> {
  const t = parseTopology(
    `
name: p
source: { kind: generator, events: 1000 }
columns: { mjj: GeV }
windows: { scheme: sliding, firstCentre: 2900, lastCentre: 3200 }
features: [mjj]
`,
    'p.yaml',
  );
  return compileTopology(t, { file: 'p.yaml', runId: 'test' });
}

describe('Progress display', () => {
  it('prints log lines above the frame (clears it, writes the line, redraws), never glued onto it', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const run = await compiled();
    const p = new Progress(
      run,
      performance.now(),
      { total: 100 },
      { out: out as unknown as NodeJS.WriteStream, tty: true },
    );
    run.counters.read = 50;
    p.stage('reading');
    const before = text.length;
    p.log('alert: sr-3300-3700 Z = 3.4');
    const written = text.slice(before);
    // Back to the start of the two-line frame, clear it, the log line on its own line, then the frame again.
    expect(written.startsWith('\r\x1b[1A\x1b[0J')).toBe(true);
    const clear = '\r\x1b[1A\x1b[0J';
    expect(written.slice(clear.length)).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z alert: sr-3300-3700 Z = 3\.4\nreading {3}\[/,
    );
    p.stop();
    expect(text.endsWith('\n')).toBe(true);
    await run.close();
  });

  it('follows analyses: started, finished, queued, results; the stage turns to analysing at the total', async () => {
    const run = await compiled();
    const out = new PassThrough();
    const p = new Progress(
      run,
      performance.now(),
      { total: 10 },
      { out: out as unknown as NodeJS.WriteStream, tty: true },
    );
    p.observer.analysisStarted?.('sr-2600-3200', 'threshold');
    p.observer.queueDepth?.(1);
    expect(p.state().analyses).toMatchObject({
      done: 0,
      running: [{ window: 'sr-2600-3200', trigger: 'threshold' }],
      queued: 1,
    });
    p.observer.trainingFinished?.('m', 2);
    p.result({ window: { id: 'sr-2600-3200' }, trigger: 'threshold' } as WindowResult);
    run.counters.read = 10;
    const s = p.state();
    expect(s.stage).toBe('analysing');
    expect(s.analyses).toMatchObject({ done: 1, running: [], meanSeconds: 2 });
    expect(s.windowsWithResult).toBe(1);
    expect(s.windowsTotal).toBe(2);
    p.stop();
    await run.close();
  });
});
