/** Limits read off injection curves: interpolated between scanned amounts, never extrapolated below the first. */
import { describe, expect, it } from '@jest/globals';
import { injectionLimits, type InjectionPoint, type WindowInjection } from '../../src/run/inject.js';
import { limitText } from '../../src/sinks/injection-report.js';

const point = (amount: number, cls: number, expected = cls): InjectionPoint => ({
  amount,
  seed: 1,
  valid: true,
  signal: amount / 2,
  background: 100,
  backgroundErr: 10,
  observed: 100 + amount / 2,
  sOverSqrtB: amount / 20,
  ...(amount > 0 ? { cls: { observed: cls, expected: [expected, expected, expected, expected, expected] } } : {}),
});
const window = (points: InjectionPoint[]): WindowInjection => ({
  window: 'sr',
  sr: [3200, 3800],
  workingPoint: 0.1,
  points,
});

describe('injection limits', () => {
  it('interpolates log CLs between the amounts that bracket 0.05', () => {
    const { limits } = injectionLimits(window([point(0, 1), point(100, 0.5), point(200, 0.005)]));
    // log-linear between (100, 0.5) and (200, 0.005): 0.05 is halfway in log.
    expect(limits!.injectedObserved).toBeCloseTo(150, 6);
    expect(limits!.injectedExpected[2]).toBeCloseTo(150, 6);
    expect(limits!.selectedObserved).toBeCloseTo(75, 6);
    expect(limits!.belowScan).toBeUndefined();
    expect(limitText(limits, 'observed')).toBe('150');
  });

  it('gives no number when the lowest amount scanned is already excluded', () => {
    // Before, the curve was anchored at CLs = 1 with no injection, and this read as a limit of 1.6 events.
    const { limits } = injectionLimits(window([point(0, 1), point(150, 1e-125, 0.3), point(300, 1e-200, 0.01)]));
    expect(limits!.injectedObserved).toBeUndefined();
    expect(limits!.selectedObserved).toBeUndefined();
    expect(limits!.belowScan).toEqual({ amount: 150, observed: true, expected: [false, false, false, false, false] });
    expect(limitText(limits, 'observed')).toBe('< 150');
    expect(limits!.injectedExpected[2]).toBeGreaterThan(150);
    expect(limits!.injectedExpected[2]).toBeLessThan(300);
  });

  it('says nothing when no curve reaches 0.05 within the scan', () => {
    const { limits } = injectionLimits(window([point(0, 1), point(150, 0.4), point(300, 0.2)]));
    expect(limits!.injectedObserved).toBeUndefined();
    expect(limits!.belowScan).toBeUndefined();
    expect(limitText(limits, 'observed')).toBe('–');
  });
});
