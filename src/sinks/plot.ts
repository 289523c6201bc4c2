/**
 * Offline plot rendering: a Vega-Lite spec is compiled to Vega, rendered headless to SVG by Vega's own
 * renderer, and rasterised to PNG by resvg with the system fonts (DejaVu / Liberation on Debian), so figures for
 * the README and the HTML run report need no browser and no network.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { SinkError } from '../events/errors.js';

export type VegaLiteSpec = TopLevelSpec;

export interface RenderOptions {
  /** PNG pixels per SVG unit (2 gives crisp figures on high-density screens). */
  scale?: number;
  /** Font family used when the spec names none that is installed. */
  defaultFont?: string;
}

const DEFAULT_FONT = 'DejaVu Sans';

/** Render a Vega-Lite spec to an SVG string and a PNG buffer. */
export async function renderPlot(
  spec: VegaLiteSpec,
  options: RenderOptions = {},
): Promise<{ svg: string; png: Buffer }> {
  const font = options.defaultFont ?? DEFAULT_FONT;
  const withFont = {
    ...spec,
    config: { font, ...(spec as { config?: object }).config },
  } as TopLevelSpec;
  let vgSpec: vega.Spec;
  try {
    vgSpec = compile(withFont).spec as vega.Spec;
  } catch (e) {
    throw new SinkError(`plot: Vega-Lite spec does not compile: ${(e as Error).message}`, { cause: e });
  }
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    font: { loadSystemFonts: true, defaultFontFamily: font, sansSerifFamily: font },
  });
  const png = Buffer.from(resvg.render().asPng());
  return { svg, png };
}
