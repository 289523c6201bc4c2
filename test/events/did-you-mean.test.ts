import { describe, expect, it } from '@jest/globals';
import { didYouMean, editDistance } from '../../src/events/did-you-mean.js';

describe('did you mean', () => {
  it('edit distance: Levenshtein with adjacent transpositions (known values)', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('flaw', 'lawn')).toBe(2);
    expect(editDistance('srWidht', 'srWidth')).toBe(1);
    expect(editDistance('ca', 'abc')).toBe(3); // optimal string alignment, not full Damerau (2)
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('suggests a near miss, a unique prefix, and nothing for a far one', () => {
    expect(didYouMean('srWidht', ['sbWidth', 'srWidth', 'step'])).toBe('srWidth');
    expect(didYouMean('outdir', ['out', 'set', 'quiet'])).toBe('out');
    expect(didYouMean('xgboost', ['none', 'hgb', 'mlp-atlas2024', 'mlp-atlas2020'])).toBeUndefined();
    expect(didYouMean('GEV', ['eV', 'keV', 'MeV', 'GeV', 'TeV'])).toBe('GeV');
    expect(didYouMean('z', ['a', 'b'])).toBeUndefined();
  });
});
