import { describe, expect, it } from '@jest/globals';
import { detectTurnOn } from '../../src/fit/turn-on.js';

const width = 60;
const edges = Float64Array.from({ length: 61 }, (_, i) => 1800 + width * i);
const lo = edges.subarray(0, 60),
  hi = edges.subarray(1);
const centre = (i: number) => 0.5 * (lo[i]! + hi[i]!);
/** A falling dijet-like spectrum, times a trigger efficiency that turns on around `m50` (none when undefined). */
const spectrum = (m50?: number) =>
  Float64Array.from({ length: 60 }, (_, i) => {
    const m = centre(i);
    const falling = 2e5 * (m / 1800) ** -9;
    const eff = m50 === undefined ? 1 : 1 / (1 + Math.exp(-(m - m50) / 60));
    return Math.round(falling * eff);
  });

describe('fit-range guard: the trigger turn-on', () => {
  it('finds no turn-on in a falling spectrum (a hard mjj cut included)', () => {
    const t = detectTurnOn(lo, hi, spectrum());
    expect(t.rising).toBe(false);
    expect(t.fitFrom).toBe(1800);
  });

  it('finds the rise, its peak, and starts the fit 10 % above the peak', () => {
    const t = detectTurnOn(lo, hi, spectrum(2500));
    expect(t.rising).toBe(true);
    expect(t.riseSignificance).toBeGreaterThan(5);
    expect(t.peak).toBeGreaterThan(2450);
    expect(t.peak).toBeLessThan(2800);
    expect(t.fitFrom).toBeCloseTo(t.peak * 1.1, 6);
  });

  it('is not fooled by a resonance on a falling spectrum', () => {
    const counts = spectrum();
    for (let i = 25; i < 30; i++) counts[i] = counts[i]! * 3;
    expect(detectTurnOn(lo, hi, counts).rising).toBe(false);
  });
});
