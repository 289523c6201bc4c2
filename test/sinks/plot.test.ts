import { describe, it, expect } from '@jest/globals';
import { renderPlot } from '../../src/sinks/plot.js';

describe('renderPlot', () => {
  it('renders a Vega-Lite spec to SVG with its text and to a non-empty PNG', async () => {
    const { svg, png } = await renderPlot({
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: 'dijet mass',
      width: 200,
      height: 120,
      data: {
        values: [
          { x: 1100, y: 4e-3 },
          { x: 2000, y: 1e-4 },
          { x: 3500, y: 2e-6 },
        ],
      },
      mark: 'line',
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'mjj [GeV]' },
        y: { field: 'y', type: 'quantitative', scale: { type: 'log' } },
      },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('dijet mass');
    expect(svg).toContain('mjj [GeV]');
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // Width from the IHDR chunk: scale 2 of a ~250 px wide figure.
    const width = png.readUInt32BE(16);
    expect(width).toBeGreaterThan(400);
    // Text is drawn: the PNG holds far more than a blank frame would (fonts found by resvg).
    expect(png.length).toBeGreaterThan(5000);
  });

  it('names the problem when a spec does not compile', async () => {
    await expect(renderPlot({ mark: 'nonsense', data: { values: [] } } as never)).rejects.toThrow(/plot: /);
  });
});
