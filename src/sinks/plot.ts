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
  return renderVega(vgSpec, { ...options, defaultFont: font });
}

/** Render a Vega spec (the publication figures of hep-specs.ts are written in Vega directly) to SVG and PNG. */
export async function renderVega(
  vgSpec: vega.Spec,
  options: RenderOptions = {},
): Promise<{ svg: string; png: Buffer }> {
  const font = options.defaultFont ?? DEFAULT_FONT;
  let view: vega.View;
  try {
    view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  } catch (e) {
    throw new SinkError(`plot: Vega spec does not parse: ${(e as Error).message}`, { cause: e });
  }
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const resvg = new Resvg(svg, resvgOptions(font, options.scale ?? 2));
  const png = Buffer.from(resvg.render().asPng());
  return { svg, png };
}

function resvgOptions(font: string, zoom: number) {
  return {
    background: 'white',
    fitTo: { mode: 'zoom' as const, value: zoom },
    font: { loadSystemFonts: true, defaultFontFamily: font, sansSerifFamily: font },
  };
}

export interface TextStyle {
  size: number;
  weight?: 'normal' | 'bold';
  style?: 'normal' | 'italic';
  font?: string;
}

const measured = new Map<string, number>();

/**
 * Advance of a text in SVG units, as resvg lays it out with the installed fonts (the same fonts Chromium uses for
 * the inline SVG). Vega has no text metrics without a canvas, and the experiment label sets words of different
 * weights side by side, so each run of text is measured here. Memoized.
 */
export function measureText(text: string, style: TextStyle): number {
  const font = style.font ?? DEFAULT_FONT;
  const key = `${font}\u0000${style.size}\u0000${style.weight ?? 'normal'}\u0000${style.style ?? 'normal'}\u0000${text}`;
  const hit = measured.get(key);
  if (hit !== undefined) return hit;
  // Measured between two bars so that leading and trailing spaces and side bearings count: width(|text|) − width(||).
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const box = (t: string) => {
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${40 * style.size * (t.length + 2)}" height="${4 * style.size}">` +
      `<text x="0" y="${2 * style.size}" font-family="${font}" font-size="${style.size}" font-weight="${style.weight ?? 'normal'}" ` +
      `font-style="${style.style ?? 'normal'}" xml:space="preserve">${esc(t)}</text></svg>`;
    const b = new Resvg(svg, resvgOptions(font, 1)).getBBox();
    return b ? b.width : 0;
  };
  const width = Math.max(0, box(`|${text}|`) - box('||'));
  measured.set(key, width);
  return width;
}

/**
 * The print version of a rendered SVG: the same drawing with its physical size set (width in cm, the height
 * following the aspect ratio), so that it is placed at print size with fonts at the designed point sizes.
 */
export function printSvg(svg: string, widthCm: number): { svg: string; widthPt: number; heightPt: number } {
  const m = /^<svg([^>]*)\swidth="([\d.]+)"\s+height="([\d.]+)"/.exec(svg);
  if (!m) throw new SinkError('plot: SVG without a width and height');
  const w = Number(m[2]);
  const h = Number(m[3]);
  const widthPt = (widthCm / 2.54) * 72;
  const heightPt = (widthPt * h) / w;
  const out = svg.replace(
    /^<svg([^>]*?)\swidth="[\d.]+"\s+height="[\d.]+"(\s+viewBox="[^"]*")?/,
    (_s, pre: string) =>
      `<svg${pre} width="${widthCm}cm" height="${((widthCm * h) / w).toFixed(3)}cm" viewBox="0 0 ${w} ${h}"`,
  );
  return { svg: out, widthPt, heightPt };
}

/**
 * The drawing of an SVG reduced by resvg to paths (text converted to glyph outlines, shapes to path data): the
 * input of the PDF writer, which then needs no fonts.
 */
export function outlineSvg(svg: string, font = DEFAULT_FONT): string {
  return new Resvg(svg, resvgOptions(font, 1)).toString();
}
