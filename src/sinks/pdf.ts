/**
 * A vector PDF of a figure, written without a PDF library: resvg reduces the figure's SVG to paths (text
 * converted to glyph outlines, every shape to absolute M/L/Q/C/Z path data, transforms as matrices, clip paths,
 * group opacity — plot.ts outlineSvg), and this module writes that reduced SVG as one PDF 1.4 page at print size.
 * Glyph outlines need no embedded fonts, so the PDF looks the same everywhere and its lines stay sharp at any zoom.
 *
 * What the reduced SVG can hold and is written: groups with transform, clip-path and opacity; paths with fill,
 * fill-rule, stroke, stroke width, dashes, caps, joins, miter limit and opacities. Group opacity is applied to each
 * child (exact where the children of a translucent group do not overlap, as in Vega's marks). Anything else (an
 * image, a gradient, a mask) is refused with an error naming it, never drawn wrong.
 */
import { deflateSync } from 'node:zlib';
import { SinkError } from '../events/errors.js';

interface XmlNode {
  tag: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}

/** Parse the regular XML that resvg writes (no comments, CDATA or entities inside path data). */
function parseXml(text: string): XmlNode {
  const root: XmlNode = { tag: '#root', attrs: {}, children: [] };
  const stack: XmlNode[] = [root];
  for (const m of text.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g)) {
    const [, close, tag, attrText, selfClose] = m;
    if (close) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    const node: XmlNode = { tag: tag!, attrs, children: [] };
    stack[stack.length - 1]!.children.push(node);
    if (!selfClose) stack.push(node);
  }
  const svg = root.children.find((c) => c.tag === 'svg');
  if (!svg) throw new SinkError('pdf: no <svg> element in the outlined figure');
  return svg;
}

const fmt = (v: number): string => {
  const r = Math.round(v * 1000) / 1000;
  return Object.is(r, -0) ? '0' : String(r);
};

function colour(value: string | undefined, what: string): [number, number, number] | null {
  if (value === undefined) return [0, 0, 0]; // SVG's default fill
  if (value === 'none') return null;
  const m = /^#([0-9a-fA-F]{6})$/.exec(value);
  if (!m) throw new SinkError(`pdf: unsupported ${what} paint "${value}"`);
  const n = Number.parseInt(m[1]!, 16);
  return [(n >> 16) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

function matrix(t: string | undefined): string {
  if (!t) return '';
  const m = /^matrix\(([^)]*)\)$/.exec(t.trim());
  if (!m) throw new SinkError(`pdf: unsupported transform "${t}"`);
  const v = m[1]!.split(/[\s,]+/).map(Number);
  if (v.length !== 6 || v.some((x) => !Number.isFinite(x))) throw new SinkError(`pdf: bad transform "${t}"`);
  return `${v.map(fmt).join(' ')} cm\n`;
}

/** Path data (absolute M, L, Q, C, Z as resvg writes it) as PDF path construction operators. */
function pathOps(d: string): string {
  const tokens = d.match(/[MLQCZmlqcz]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g) ?? [];
  let i = 0;
  let cmd = '';
  let x = 0;
  let y = 0;
  let sx = 0;
  let sy = 0;
  const out: string[] = [];
  const num = () => {
    const t = tokens[i++];
    if (t === undefined || /[A-Za-z]/.test(t)) throw new SinkError(`pdf: truncated path data "${d.slice(0, 60)}"`);
    return Number(t);
  };
  while (i < tokens.length) {
    if (/[A-Za-z]/.test(tokens[i]!)) cmd = tokens[i++]!;
    switch (cmd) {
      case 'M':
        x = sx = num();
        y = sy = num();
        out.push(`${fmt(x)} ${fmt(y)} m`);
        cmd = 'L'; // further pairs after M are line-tos
        break;
      case 'L':
        x = num();
        y = num();
        out.push(`${fmt(x)} ${fmt(y)} l`);
        break;
      case 'Q': {
        // A quadratic Bézier is the cubic with control points 2/3 of the way to the quadratic's.
        const qx = num();
        const qy = num();
        const ex = num();
        const ey = num();
        const c1x = x + (2 / 3) * (qx - x);
        const c1y = y + (2 / 3) * (qy - y);
        const c2x = ex + (2 / 3) * (qx - ex);
        const c2y = ey + (2 / 3) * (qy - ey);
        out.push(`${fmt(c1x)} ${fmt(c1y)} ${fmt(c2x)} ${fmt(c2y)} ${fmt(ex)} ${fmt(ey)} c`);
        x = ex;
        y = ey;
        break;
      }
      case 'C': {
        const v = [num(), num(), num(), num(), num(), num()];
        out.push(`${v.map(fmt).join(' ')} c`);
        x = v[4]!;
        y = v[5]!;
        break;
      }
      case 'Z':
      case 'z':
        out.push('h');
        x = sx;
        y = sy;
        cmd = '';
        break;
      default:
        throw new SinkError(`pdf: unsupported path command "${cmd || tokens[i]}" (resvg writes absolute M/L/Q/C/Z)`);
    }
  }
  return `${out.join('\n')}\n`;
}

const CAPS: Record<string, number> = { butt: 0, round: 1, square: 2 };
const JOINS: Record<string, number> = { miter: 0, 'miter-clip': 0, round: 1, arcs: 0, bevel: 2 };

/** Write an outlined SVG (plot.ts outlineSvg) as a one-page PDF of the given size in points. */
export function svgToPdf(outlined: string, page: { widthPt: number; heightPt: number }): Buffer {
  const svg = parseXml(outlined);
  const w = Number(svg.attrs.width);
  const h = Number(svg.attrs.height);
  if (!(w > 0 && h > 0)) throw new SinkError('pdf: the outlined SVG has no size');
  const clips = new Map<string, XmlNode>();
  const collect = (n: XmlNode) => {
    if (n.tag === 'clipPath' && n.attrs.id) clips.set(n.attrs.id, n);
    for (const c of n.children) collect(c);
  };
  collect(svg);
  const states = new Map<string, string>(); // "ca CA" -> resource name
  const gs = (fillAlpha: number, strokeAlpha: number): string => {
    const key = `${fmt(fillAlpha)} ${fmt(strokeAlpha)}`;
    let name = states.get(key);
    if (!name) {
      name = `GS${states.size}`;
      states.set(key, name);
    }
    return `/${name} gs\n`;
  };

  const clipOps = (ref: string | undefined): string => {
    if (!ref) return '';
    const id = /^url\(#([^)]+)\)$/.exec(ref)?.[1];
    const clip = id ? clips.get(id) : undefined;
    if (!clip) throw new SinkError(`pdf: clip-path "${ref}" not found`);
    // Vega's clip paths are untransformed rectangles in the group's space; anything else is refused, not guessed.
    if (clip.attrs['clip-path'] || clip.attrs.transform)
      throw new SinkError('pdf: nested or transformed clip paths are not supported');
    let s = '';
    for (const c of clip.children) {
      if (c.tag !== 'path') throw new SinkError(`pdf: unsupported <${c.tag}> in a clip path`);
      if (c.attrs.transform) throw new SinkError('pdf: transformed paths in a clip path are not supported');
      s += pathOps(c.attrs.d ?? '');
    }
    return `${s}W n\n`;
  };

  const draw = (n: XmlNode, alpha: number): string => {
    if (n.attrs.visibility === 'hidden' && n.tag === 'path') return '';
    switch (n.tag) {
      case 'defs':
      case 'clipPath':
        return '';
      case 'g': {
        const a = alpha * Number(n.attrs.opacity ?? 1);
        let s = `q\n${matrix(n.attrs.transform)}${clipOps(n.attrs['clip-path'])}`;
        for (const c of n.children) s += draw(c, a);
        return `${s}Q\n`;
      }
      case 'path': {
        const a = alpha * Number(n.attrs.opacity ?? 1);
        const fill = colour(n.attrs.fill, 'fill');
        const stroke = n.attrs.stroke === undefined ? null : colour(n.attrs.stroke, 'stroke');
        if (!fill && !stroke) return '';
        let s = `q\n${matrix(n.attrs.transform)}`;
        const fa = a * Number(n.attrs['fill-opacity'] ?? 1);
        const sa = a * Number(n.attrs['stroke-opacity'] ?? 1);
        if (fa < 1 || sa < 1) s += gs(fa, sa);
        if (fill) s += `${fill.map(fmt).join(' ')} rg\n`;
        if (stroke) {
          s += `${stroke.map(fmt).join(' ')} RG\n${fmt(Number(n.attrs['stroke-width'] ?? 1))} w\n`;
          s += `${CAPS[n.attrs['stroke-linecap'] ?? 'butt'] ?? 0} J ${JOINS[n.attrs['stroke-linejoin'] ?? 'miter'] ?? 0} j\n`;
          s += `${fmt(Number(n.attrs['stroke-miterlimit'] ?? 4))} M\n`;
          const dash = n.attrs['stroke-dasharray'];
          if (dash && dash !== 'none')
            s += `[${dash
              .split(/[\s,]+/)
              .map((v) => fmt(Number(v)))
              .join(' ')}] ${fmt(Number(n.attrs['stroke-dashoffset'] ?? 0))} d\n`;
        }
        s += pathOps(n.attrs.d ?? '');
        const evenOdd = n.attrs['fill-rule'] === 'evenodd';
        s += fill && stroke ? (evenOdd ? 'B*' : 'B') : fill ? (evenOdd ? 'f*' : 'f') : 'S';
        return `${s}\nQ\n`;
      }
      default:
        throw new SinkError(`pdf: unsupported element <${n.tag}> in the outlined figure`);
    }
  };

  // SVG units to points, and SVG's downward y to PDF's upward y.
  const sx = page.widthPt / w;
  const sy = page.heightPt / h;
  let content = `${fmt(sx)} 0 0 ${fmt(-sy)} 0 ${fmt(page.heightPt)} cm\n`;
  for (const c of svg.children) content += draw(c, 1);
  const stream = deflateSync(Buffer.from(content, 'latin1'));

  const extG = [...states].map(([key, name]) => {
    const [ca, CA] = key.split(' ');
    return `/${name} << /Type /ExtGState /ca ${ca} /CA ${CA} >>`;
  });
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${fmt(page.widthPt)} ${fmt(page.heightPt)}] /Contents 4 0 R ` +
        `/Resources << /ExtGState << ${extG.join(' ')} >> >> >>`,
    ),
    Buffer.concat([
      Buffer.from(`<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`),
      stream,
      Buffer.from('\nendstream'),
    ]),
    Buffer.from('<< /Producer (sideband) >>'),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, k) => {
    offsets.push(offset);
    const chunk = Buffer.concat([Buffer.from(`${k + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    parts.push(chunk);
    offset += chunk.length;
  });
  const xref =
    `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n` +
    offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('') +
    `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>\nstartxref\n${offset}\n%%EOF\n`;
  parts.push(Buffer.from(xref));
  return Buffer.concat(parts);
}
