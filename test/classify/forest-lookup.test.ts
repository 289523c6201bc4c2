/** A tabulated forest holds the forest's exact logit at every cell's representative point; events find their cell. */
import { describe, expect, it } from '@jest/globals';
import { flattenHgb, scoreForest } from '../../src/classify/forest.js';
import { cellIndex, gridCells, lookupGrid, tabulateForest } from '../../src/classify/forest-lookup.js';
import { fitHgb } from '../../src/classify/hgb.js';
import { labelledColumns } from './synthetic.js';

describe('forest lookup tables', () => {
  const { cols, y } = labelledColumns(4000, 21);
  const forest = flattenHgb(
    fitHgb({ columns: cols, y }, { maxIter: 20, maxLeafNodes: 12, minSamplesLeaf: 10, seed: 5 }),
  );
  const grid = lookupGrid(cols, 4096);
  const table = tabulateForest(forest, grid);

  it('sizes the grid within the cell budget, one NaN cell per feature on top of the quantile bins', () => {
    expect(grid.bins).toBe(15);
    expect(gridCells(grid)).toBe(4096);
    expect(table.length).toBe(4096);
    for (const e of grid.edges) for (let b = 1; b < e.length; b++) expect(e[b]!).toBeGreaterThanOrEqual(e[b - 1]!);
  });

  it("gives, in every cell, the forest's logit at the cell's representative point (NaN cells included)", () => {
    const side = grid.bins + 1;
    const reps = [0, 1, 2].map(() => new Float32Array(table.length));
    for (let c = 0; c < table.length; c++) {
      let rest = c;
      for (let j = 2; j >= 0; j--) {
        const b = rest % side;
        rest = Math.floor(rest / side);
        reps[j]![c] = b === grid.bins ? Number.NaN : grid.reps[j]![b]!;
      }
    }
    const exact = new Float64Array(table.length);
    scoreForest(forest, reps, table.length, exact);
    expect(Array.from(table)).toEqual(Array.from(exact, (v) => Math.fround(v)));
    // Not a constant table: the model varies across the grid.
    expect(new Set(table).size).toBeGreaterThan(50);
  });

  it('puts each event in the cell whose bins hold its values, NaN in the NaN cell', () => {
    const n = 500;
    const cells = new Int32Array(n);
    cellIndex(grid, cols, n, cells);
    const side = grid.bins + 1;
    for (let i = 0; i < n; i++) {
      let rest = cells[i]!;
      for (let j = 2; j >= 0; j--) {
        const b = rest % side;
        rest = Math.floor(rest / side);
        const x = cols[j]![i]!;
        if (Number.isNaN(x)) {
          expect(b).toBe(grid.bins);
          continue;
        }
        const e = grid.edges[j]!;
        if (b > 0) expect(x).toBeGreaterThan(e[b - 1]!);
        if (b < grid.bins - 1) expect(x).toBeLessThanOrEqual(e[b]!);
      }
    }
  });
});
