import { describe, expect, it } from '@jest/globals';
import { clsAsymptotic, clsUpperLimits } from '../../src/stats/cls.js';
import { normalCdf } from '../../src/stats/special.js';

// pyhf's documented example (README, pyhf.infer.hypotest and AsymptoticCalculator docstrings, pyhf ≥ 0.6):
// model = pyhf.simplemodels.uncorrelated_background(signal=[12.0, 11.0], bkg=[50.0, 52.0], bkg_uncertainty=[3.0, 7.0])
// data = [51, 48] + model.config.auxdata; test_poi = 1.0; test_stat = "qtilde"
const model = { signal: [12, 11], background: [50, 52], backgroundUncertainty: [3, 7] };
const PYHF = {
  clsObs: 0.05251497,
  clsExp: [0.00260626, 0.01382005, 0.06445321, 0.23525644, 0.57303621],
  // hello-world notebook (pyhf v0.6.2): return_tail_probs=True
  clsb: 0.023324961200974572,
  clb: 0.44415349012077077,
};

describe('CLs, asymptotic q̃μ, uncorrelated background (pyhf shapesys)', () => {
  const r = clsAsymptotic(model, [51, 48], 1);

  it("matches pyhf's observed CLs, CLs+b and CLb to 1e-3 (in fact to 1e-5)", () => {
    expect(Math.abs(r.clsObs - PYHF.clsObs)).toBeLessThan(1e-5);
    expect(Math.abs(r.clsbObs - PYHF.clsb)).toBeLessThan(1e-5);
    expect(Math.abs(r.clbObs - PYHF.clb)).toBeLessThan(1e-5);
  });

  it("matches pyhf's expected band (−2σ … +2σ)", () => {
    r.clsExp.forEach((v, i) => {
      expect(Math.abs(v - PYHF.clsExp[i]!)).toBeLessThan(1e-5);
    });
  });

  it('without background uncertainty reduces to the single-bin asymptotic formula', () => {
    // One bin, s = 10, b = 50, n = 50: μ̂ = 0, q̃1 = 2[s − n ln(1 + s/b)], Asimov q_A the same, CLs = (1−Φ(√q))/(Φ(√qA−√q)).
    const one = clsAsymptotic({ signal: [10], background: [50], backgroundUncertainty: [0] }, [50], 1);
    const q = 2 * (10 - 50 * Math.log(1 + 10 / 50));
    expect(one.qmuObs).toBeCloseTo(q, 8);
    expect(one.clsObs).toBeCloseTo((1 - normalCdf(Math.sqrt(q))) / normalCdf(0), 8);
  });

  it('sets q̃μ = 0 when the best-fit signal exceeds the tested one', () => {
    const big = clsAsymptotic(model, [80, 75], 1);
    expect(big.muHat).toBeGreaterThan(1);
    expect(big.qmuObs).toBe(0);
  });

  it('upper limits sit where CLs crosses 0.05, observed and expected', () => {
    const ul = clsUpperLimits(model, [51, 48], 0.95);
    expect(clsAsymptotic(model, [51, 48], ul.observed).clsObs).toBeCloseTo(0.05, 4);
    expect(clsAsymptotic(model, [51, 48], ul.expected[2]).clsExp[2]).toBeCloseTo(0.05, 4);
    for (let i = 1; i < 5; i++) expect(ul.expected[i]!).toBeGreaterThan(ul.expected[i - 1]!);
  });

  it('rejects inconsistent inputs with a message', () => {
    expect(() => clsAsymptotic({ signal: [1], background: [1, 2], backgroundUncertainty: [1] }, [1], 1)).toThrow(
      /differ in length/,
    );
    expect(() => clsAsymptotic({ signal: [1], background: [0], backgroundUncertainty: [1] }, [1], 1)).toThrow(
      /bin 0: background/,
    );
  });
});
